"""A forgotten password without the ID (issue 16, item 7).

The reset form takes a user ID or an e-mail address. An address several accounts share gets ONE
mail listing each ID with its own link; the answer is the same whether or not anything matched.
The hints that send a person to 「管理者」 say who that is: for a client, its company's admin by
name, then the agency; on the signed-out pages, 「ご所属の会社の管理者、または制作会社」.
"""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from chalicelib.models.agency import AgencySettings
from chalicelib.models.users import CLIENT_ADMIN, User
from chalicelib.services import accounts, auth
from localdev import mailbox
from tests.support.agent import Agent
from tests.support.factories import make_client, make_company, make_user, register, unique_id
from tests.support.mailbox import mail_to

pytestmark = pytest.mark.usefixtures("no_faults")

NEW_PASSWORD = "sakura-fubuki-2026"
ANSWER = "登録されていれば、パスワード再設定用のリンク"


def _mails_to(address: str) -> list[dict]:
    """The reset mails to ``address``, in any case (one mailbox: the accounts may store it differently)."""
    return [m for m in mailbox.messages()
            if address.lower() in (to.lower() for to in m["to"]) and "パスワード再設定" in m["subject"]]


def _ask(web: Agent, typed: str) -> str:
    web.get("/password/forgot")
    response = web.post("/password/forgot", {"user_id": typed})
    assert response.status_code == 200
    return web.text(response)


def test_an_address_with_two_accounts_gets_one_mail_with_a_link_for_each(client, aws):
    address = f"shared-{uuid.uuid4().hex[:8]}@example.com"
    first = make_client(make_company("株式会社さくら"), name="桜井 花子", email=address)
    second = make_client(make_company("株式会社もみじ"), name="桜井 花子", email=address.upper())  # stored as typed
    other = make_user(email=f"other-{uuid.uuid4().hex[:8]}@example.com")  # a third account, another address
    web = Agent(client)
    page = _ask(web, f"  {address.upper()} ")  # any case, spaces around: one mailbox
    assert ANSWER in page
    mails = _mails_to(address)
    assert len(mails) == 1, [m["subject"] for m in mails]
    text = mails[0]["text"]
    assert "このメールアドレスで登録されているアカウントは次の2件です" in text
    assert other.user_id not in text
    links = {}
    for account in (first, second):
        block = re.search(rf"ユーザーID: {account.user_id}(.*?)\n(\S+)", text)
        assert block, account.user_id
        links[account.user_id] = urlsplit(block.group(2)).path
    html = mails[0]["html"]
    assert all(path in html for path in links.values())
    assert len(set(links.values())) == 2
    for account in (first, second):  # each link works, for its own account only
        link = links[account.user_id]
        done = Agent(client)
        assert done.get(link).status_code == 200
        assert done.post(link, {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}).status_code == 303
        assert auth.login(account.user_id, NEW_PASSWORD).user.user_id == account.user_id


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, aws):
    known = make_user()
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    web = Agent(client)
    assert ANSWER in _ask(web, unknown)
    # The answer page is the same for an unknown address, a known address and a known ID, but for
    # the form's own token.
    strip = lambda html: re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # noqa: E731
    answers = {strip(_ask(Agent(client), typed)) for typed in (unknown, known.email, known.user_id)}
    assert len(answers) == 1
    assert _mails_to(unknown) == []


def test_a_changed_address_finds_the_account_and_the_old_one_does_not(client, aws):
    admin = make_user()
    company = make_company("株式会社かえで")
    old = f"old-{uuid.uuid4().hex[:8]}@example.com"
    new = f"new-{uuid.uuid4().hex[:8]}@example.com"
    user = register(admin, company, email=old).user
    form = accounts.AccountForm(name=user.name, kana=user.kana, phone=user.phone, email=new)
    accounts.edit_account(admin, user.user_id, form, version=User.find(user.user_id).version)
    assert [u.user_id for u in User.with_email(new)] == [user.user_id]
    assert User.with_email(old) == []
    _ask(Agent(client), old)
    assert _mails_to(old) == []
    _ask(Agent(client), new)
    assert user.user_id in mail_to(new, subject="パスワード再設定")["text"]


def test_the_hints_name_whom_a_client_asks(client, aws):
    """A client's mails name its company's admin and the agency, not a bare 「管理者」."""
    agency = AgencySettings.load()
    admin = make_user()
    company = make_company(f"株式会社つばき{uuid.uuid4().hex[:4]}")
    head = make_client(company, role=CLIENT_ADMIN, name="椿 一郎")
    member = register(admin, company, user_id=unique_id("memb"), name="椿 花子").user
    guidance = mail_to(member.email, subject="ログイン")["text"]
    assert f"貴社の管理者(椿 一郎様)、または{agency.name}に再発行を依頼してください" in guidance
    assert "、管理者に" not in guidance and "は、管理者に" not in guidance
    # The company's first admin asks the agency.
    fresh = make_company(f"株式会社なでしこ{uuid.uuid4().hex[:4]}")
    first = register(admin, fresh, user_id=unique_id("head"), name="撫子 花子").user
    assert f"{agency.name}に再発行を依頼してください" in mail_to(first.email, subject="ログイン")["text"]
    # Signed out, the viewer is unknown: their company's admin in general words, the agency by name.
    signed_out = Agent(client)
    assert f"ご所属の会社の管理者、または{agency.name}にお問い合わせください" in _ask(signed_out, head.user_id)
    refused = signed_out.text(signed_out.login(head.user_id, "not-the-password"))
    assert f"ご所属の会社の管理者、または{agency.name}に再発行を依頼してください" in refused
    assert "制作会社" not in refused


def test_an_account_older_than_the_address_index_is_found_once_indexed(client, aws):
    """Accounts stored before GSI2 listed them carry no listing: ops/index_emails gives them one."""
    from ops.index_emails import index_emails

    address = f"legacy-{uuid.uuid4().hex[:8]}@example.com"
    legacy = make_user(email=address)
    legacy.update(actions=[User.gsi2pk.remove(), User.gsi2sk.remove()])  # as stored before issue 16
    assert User.with_email(address) == []
    assert index_emails() >= 1
    assert [u.user_id for u in User.with_email(address)] == [legacy.user_id]
    assert index_emails() == 0  # once is enough
    _ask(Agent(client), address)
    assert legacy.user_id in mail_to(address, subject="パスワード再設定")["text"]
