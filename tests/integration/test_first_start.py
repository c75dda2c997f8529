"""First start asks who the agency is (issue 16, item 6).

Until the agency admin has entered the agency's name, its own display name, the phone number and
the mail sender name, no client company can be created, so no client ever reads the stand-ins
(「制作会社」, 「管理者がコメントしました」). The session's world has complete settings
(tests/conftest.py); these tests take them away for a moment and put them back.
"""
from __future__ import annotations

import re
import uuid

import pytest

from chalicelib.errors import Invalid
from chalicelib.messages import t
from chalicelib.models.agency import AgencySettings
from chalicelib.models.companies import Company
from chalicelib.models.users import User
from chalicelib.services import accounts, companies
from tests.support.accounts import signed_in
from tests.support.factories import first_start, give_password, make_user, unique_id

pytestmark = pytest.mark.usefixtures("no_faults")


def _settings_fields(page: str, **fields: str) -> dict[str, str]:
    version = re.search(r'name="version" value="(\d*)"', page).group(1)
    return {"client_reopen_days": "14", "version": version, **fields}


def test_settings_are_complete_only_with_every_field_stored(aws):
    unsaved = AgencySettings(*AgencySettings.KEYS)
    assert not unsaved.complete  # the defaults (制作会社) are stand-ins, not an answer
    unsaved.version = 1
    for empty in ("name", "phone", "mail_sender_name"):
        stored = AgencySettings(*AgencySettings.KEYS, name="株式会社ウェブ工房", phone="03-1234-5678",
                                mail_sender_name="ウェブ工房")
        stored.version = 1
        assert stored.complete
        setattr(stored, empty, "  ")
        assert not stored.complete, empty


def test_no_client_company_before_the_agency_says_who_it_is(client, aws):
    admin = accounts.ensure_agency_admin(unique_id("first"), f"{uuid.uuid4().hex[:8]}@example.com").user
    assert admin.name == t("account.first_admin_name")
    give_password(admin)  # past the first login's password change
    with first_start():
        with pytest.raises(Invalid) as refused:
            companies.create_company(admin, name="株式会社早すぎ")
        assert refused.value.errors == {"_form": t("company.setup_first")}

        web = signed_in(client, admin, dashboard=False)
        dashboard = web.text(web.get("/"))
        # The 管理画面 leads with the setup step, before the inbox (the section; the menu above
        # every page names 受信箱 too).
        assert dashboard.index("はじめに制作会社の情報を設定してください") < dashboard.index('id="inbox-title"')
        assert 'href="/settings">制作会社の情報を設定する' in dashboard
        listing = web.text(web.get("/clients"))
        assert "はじめに制作会社の情報を設定してください" in listing
        assert re.search(r'<a class="button button--primary" href="/settings">新規クライアント登録</a>', listing)

        web.get("/clients/new")
        posted = web.post("/clients", {"name": "株式会社早すぎ"})
        assert posted.status_code == 400
        text = web.text(posted)
        assert t("company.setup_first") in text and 'href="/settings"' in text
        assert not any(c.name == "株式会社早すぎ" for c in Company.page(limit=1000)[0])

        page = web.text(web.get("/settings"))
        assert "はじめに制作会社の情報を設定してください" in page
        # Nothing to keep by saving as is: the stand-ins are not offered as answers.
        assert 'id="agency_name" name="agency_name" type="text"' in page
        assert re.search(r'id="agency_name"[^>]*value=""', page) and re.search(r'id="display_name"[^>]*value=""', page)
        empty = web.post("/settings", _settings_fields(page))
        assert empty.status_code == 400
        errors = web.text(empty)
        for field, label in (("agency_name", "会社名(制作会社)"), ("display_name", "あなたの表示名"),
                             ("phone", "電話番号"), ("mail_sender_name", "メールの差出人名")):
            assert f'id="{field}-error"' in errors, field
            assert f'<span class="error-summary__field">{label}</span>' in errors, label
        named = re.findall(r'<span class="error-summary__field">([^<]+)</span>', errors)
        assert named == ["会社名(制作会社)", "あなたの表示名", "電話番号", "メールの差出人名"]  # as the form reads
        assert not AgencySettings.load().complete

        saved = web.post("/settings", _settings_fields(page, agency_name="株式会社ウェブ工房", display_name="山田",
                                                       phone="03-9999-0000", mail_sender_name="ウェブ工房 サポート"))
        assert saved.status_code == 303
        assert AgencySettings.load().complete
        assert User.find(admin.user_id).name == "山田"  # what clients read: 「株式会社ウェブ工房の山田がコメントしました」
        dashboard = web.text(web.get("/"))
        assert "はじめに制作会社の情報を設定してください" not in dashboard
        assert 'href="/clients/new">新規クライアント登録' in web.text(web.get("/clients"))
        created = companies.create_company(User.find(admin.user_id), name=f"株式会社あと{uuid.uuid4().hex[:6]}")
        assert created.company_id


def test_settings_cannot_be_emptied_once_complete(client, aws):
    admin = make_user(name="管理 三郎")
    web = signed_in(client, admin, dashboard=False)
    page = web.text(web.get("/settings"))
    settings = AgencySettings.load()
    assert re.search(r'id="display_name"[^>]*value="管理 三郎"', page)
    for field in ("agency_name", "phone", "mail_sender_name", "display_name"):
        fields = {"agency_name": settings.name, "phone": settings.phone, "mail_sender_name": settings.mail_sender_name,
                  "display_name": admin.name, field: ""}
        refused = web.post("/settings", _settings_fields(page, **fields))
        assert refused.status_code == 400, field
        assert f'id="{field}-error"' in web.text(refused)
    assert AgencySettings.load().complete
