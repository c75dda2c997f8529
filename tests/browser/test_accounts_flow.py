"""Manual section 4 in a real browser: アカウント管理 → アカウント一覧 → 新規アカウント登録 →
アカウント詳細 and the ログインのご案内 mail; the agency's クライアント管理 (a new company and its first
account, the client admin); and an account made 無効 while its owner is signed in.

Everything is found by what a user sees (labels, button names, headings); waits are Playwright's
auto-retrying `expect`, never sleeps. Every test makes its own company and accounts (the emulator
is shared by the whole session).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.models.users import CLIENT_ADMIN
from tests.support.browser import heading, log_in, token
from tests.support.factories import make_client, make_company
from tests.support.mailbox import line_value, mail_to

pytestmark = pytest.mark.browser

LOGIN_URL = re.compile(r"/login(\?.*)?$")
PASSWORD_URL = re.compile(r"/password$")
ACCOUNT_URL = re.compile(r"/accounts/[A-Za-z0-9]+(\?.*)?$")
LOGIN_FAILED = "ユーザーIDまたはパスワードが正しくありません。"
USER_ID_FORMAT = "ユーザーIDは半角の英字と数字で、5文字以上(32文字まで)にしてください。"
USER_ID_TAKEN = "このユーザーIDは既に使われています。別のIDを指定してください。"
EMAIL_FORMAT = "メールアドレスの形式が正しくありません(例: taro@example.co.jp)。"


def make_client_admin(company, **overrides):
    """A company's client admin, as the app leaves it: the account and the company's record of it.

    ``make_client(company, role="client_admin")`` alone does not set ``Company.admin_user_id``, so
    the app would still take the next account registered for the company to be its first one
    (and make it a second クライアント管理者).
    """
    from chalicelib.models.companies import Company

    admin = make_client(company, role=CLIENT_ADMIN, **overrides)
    company.update(actions=[Company.admin_user_id.set(admin.user_id)])
    return admin


def detail(page: Page, term: str):
    """The value (dd) beside a label (dt) on アカウント詳細."""
    return (page.get_by_role("main").locator("dt", has_text=re.compile(f"^{re.escape(term)}$"))
            .locator("xpath=following-sibling::dd[1]"))


def field(page: Page, label: str):
    return page.get_by_label(label, exact=True)


def fill_account(page: Page, *, user_id: str, name: str, kana: str, phone: str, email: str) -> None:
    field(page, "ユーザーID").fill(user_id)
    field(page, "名前").fill(name)
    field(page, "名前(カナ)").fill(kana)
    field(page, "電話番号").fill(phone)
    field(page, "メールアドレス").fill(email)


def test_client_admin_registers_a_colleague_who_gets_the_guidance_mail(page, open_page, live_server):
    # Manual section 4: 管理画面 → アカウント管理 → アカウント一覧 → 新規アカウント登録 → アカウント登録.
    tag = token()
    company = make_company(f"株式会社アカウント{tag}")
    admin = make_client_admin(company, name=f"管理 一子{tag}")
    user_id = f"sato{tag}"
    address = f"{user_id}@example.com"
    name = f"佐藤 花子{tag}"

    log_in(page, live_server.url, admin.user_id, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="アカウント管理").click()  # the 管理画面's button
    expect(heading(page, "アカウント管理")).to_be_visible()
    page.get_by_role("navigation", name="アカウント管理メニュー").get_by_role("link", name="アカウント一覧").click()
    expect(heading(page, re.compile("^アカウント一覧"), level=2)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=admin.user_id)).to_have_count(1)
    page.get_by_role("link", name="新規アカウント登録").click()
    expect(heading(page, "アカウント登録")).to_be_visible()

    fill_account(page, user_id=user_id, name=name, kana="さとう はなこ",
                 phone="０９０－１２３４－５６７８", email=address)
    page.get_by_role("button", name="アカウント登録").click()

    expect(page).to_have_url(ACCOUNT_URL)
    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("アカウントを登録しました。ログインのご案内メールを送信しました。")
    expect(detail(page, "ユーザーID")).to_have_text(user_id)
    expect(detail(page, "名前")).to_have_text(name)
    expect(detail(page, "名前(カナ)")).to_have_text("サトウ ハナコ")
    expect(detail(page, "電話番号")).to_have_text("090-1234-5678")
    expect(detail(page, "メールアドレス")).to_have_text(address)
    expect(detail(page, "権限")).to_have_text("メンバー")
    expect(detail(page, "状態")).to_contain_text("初回ログイン前")

    # Back in the list, the new colleague is there.
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="アカウント管理").click()
    row = page.get_by_role("row").filter(has_text=user_id)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("初回ログイン前")

    mail = mail_to(address)
    assert "ログインのご案内" in mail["subject"]
    assert line_value(mail["text"], "ユーザーID: ") == user_id
    temporary = line_value(mail["text"], "仮パスワード: ")
    assert line_value(mail["text"], "ログインURL: ") == live_server.url + "/login"

    newcomer = open_page()
    log_in(newcomer, live_server.url, user_id, temporary, lands_on=None)
    expect(newcomer).to_have_url(PASSWORD_URL)
    expect(heading(newcomer, "パスワード変更")).to_be_visible()
    expect(newcomer.get_by_label("現在のパスワード", exact=True)).to_be_visible()


def test_account_form_tells_each_field_what_is_wrong_and_keeps_the_input(page, live_server):
    tag = token()
    company = make_company(f"株式会社入力{tag}")
    admin = make_client_admin(company, name=f"管理 二子{tag}")
    name = f"鈴木 一郎{tag}"

    log_in(page, live_server.url, admin.user_id)  # signed in before the next page is asked for
    page.goto(live_server.url + "/accounts/new")
    expect(heading(page, "アカウント登録")).to_be_visible()

    fill_account(page, user_id="abc", name=name, kana="スズキ イチロウ", phone="03-1234-5678",
                 email="suzuki@example")
    page.get_by_role("button", name="アカウント登録").click()

    expect(heading(page, "アカウント登録")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    user_id_box = field(page, "ユーザーID")
    expect(user_id_box).to_have_attribute("aria-invalid", "true")
    expect(user_id_box).to_have_accessible_description(re.compile(re.escape(USER_ID_FORMAT)))
    email_box = field(page, "メールアドレス")
    expect(email_box).to_have_attribute("aria-invalid", "true")
    expect(email_box).to_have_accessible_description(re.compile(re.escape(EMAIL_FORMAT)))
    expect(field(page, "名前")).not_to_have_attribute("aria-invalid", "true")
    expect(user_id_box).to_have_value("abc")
    expect(field(page, "名前")).to_have_value(name)
    expect(field(page, "名前(カナ)")).to_have_value("スズキ イチロウ")
    expect(field(page, "電話番号")).to_have_value("03-1234-5678")
    expect(email_box).to_have_value("suzuki@example")

    # An ID someone already has (here the admin's own), with the e-mail corrected.
    user_id_box.fill(admin.user_id)
    email_box.fill(f"suzuki{tag}@example.com")
    page.get_by_role("button", name="アカウント登録").click()

    expect(page.get_by_role("alert")).to_contain_text("入力内容を確認してください。")
    user_id_box = field(page, "ユーザーID")
    expect(user_id_box).to_have_accessible_description(re.compile(re.escape(USER_ID_TAKEN)))
    expect(user_id_box).to_have_value(admin.user_id)
    expect(field(page, "メールアドレス")).not_to_have_attribute("aria-invalid", "true")
    expect(field(page, "メールアドレス")).to_have_value(f"suzuki{tag}@example.com")
    expect(field(page, "名前")).to_have_value(name)

    # Nothing was registered.
    page.goto(live_server.url + "/accounts")
    expect(page.get_by_role("row").filter(has_text=name)).to_have_count(0)


def test_agency_registers_a_client_company_and_its_first_account_is_the_client_admin(page, live_server, make_user):
    tag = token()
    agency_admin = make_user(name=f"制作 管理{tag}")
    company_name = f"株式会社はじめて{tag}"
    first_id, second_id = f"first{tag}", f"second{tag}"

    log_in(page, live_server.url, agency_admin.user_id, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()
    page.get_by_role("link", name="クライアント管理").click()
    expect(heading(page, "クライアント管理")).to_be_visible()
    page.get_by_role("link", name="新規クライアント登録").click()
    expect(heading(page, "新規クライアント登録")).to_be_visible()
    page.get_by_label("会社名").fill(company_name)
    page.get_by_role("button", name="クライアント登録").click()

    expect(heading(page, company_name)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("クライアントを登録しました。")
    expect(page.get_by_text("最初に登録したアカウントが、この会社のクライアント管理者になります。")).to_be_visible()
    page.get_by_role("link", name="新規アカウント登録").click()
    expect(heading(page, re.compile("^アカウント登録"))).to_be_visible()
    expect(heading(page, re.compile("^アカウント登録"))).to_contain_text(company_name)
    fill_account(page, user_id=first_id, name=f"最初 太郎{tag}", kana="サイショ タロウ", phone="03-1111-2222",
                 email=f"{first_id}@example.com")
    page.get_by_role("button", name="アカウント登録").click()

    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(detail(page, "ユーザーID")).to_have_text(first_id)
    expect(detail(page, "権限")).to_have_text("クライアント管理者")
    assert "ログインのご案内" in mail_to(f"{first_id}@example.com")["subject"]

    # The next account of the same company is a member.
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name=company_name).click()
    expect(heading(page, company_name)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=first_id)).to_contain_text("クライアント管理者")
    page.get_by_role("link", name="新規アカウント登録").click()
    fill_account(page, user_id=second_id, name=f"次 花子{tag}", kana="ツギ ハナコ", phone="03-3333-4444",
                 email=f"{second_id}@example.com")
    page.get_by_role("button", name="アカウント登録").click()
    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(detail(page, "権限")).to_have_text("メンバー")

    # The company is in the list.
    page.goto(live_server.url + "/clients")
    expect(page.get_by_role("link", name=company_name)).to_be_visible()


def test_deactivated_account_is_sent_to_login_on_its_next_page(page, open_page, live_server, make_user):
    tag = token()
    agency_admin = make_user(name=f"制作 管理{tag}")
    company = make_company(f"株式会社無効{tag}")
    member = make_client(company, name=f"退職 予定{tag}")

    # The member is signed in, in another browser.
    other = open_page()
    log_in(other, live_server.url, member.user_id, lands_on=None)
    expect(heading(other, "管理画面")).to_be_visible()

    log_in(page, live_server.url, agency_admin.user_id, lands_on=None)
    expect(heading(page, "管理画面")).to_be_visible()
    page.goto(f"{live_server.url}/clients/{company.company_id}")
    expect(heading(page, company.name)).to_be_visible()
    page.get_by_role("link", name=member.user_id).click()
    expect(heading(page, "アカウント詳細")).to_be_visible()
    expect(detail(page, "状態")).to_contain_text("有効")
    page.get_by_role("button", name="無効にする").click()
    page.get_by_role("dialog", name=re.compile("アカウントを無効にしますか")).get_by_role("button", name="はい、無効にする").click()

    expect(page.get_by_role("status")).to_have_text("アカウントを無効にしました。このアカウントではログインできません。ご本人にメールでお知らせしました。")
    expect(detail(page, "状態")).to_have_text("無効")
    expect(page.get_by_role("button", name="有効にする")).to_be_visible()

    # The member's next page load asks for login, and the password no longer works.
    other.reload()
    expect(other).to_have_url(LOGIN_URL)
    expect(heading(other, "ログイン")).to_be_visible()
    other.goto(live_server.url + "/requests/new")
    expect(other).to_have_url(LOGIN_URL)
    log_in(other, live_server.url, member.user_id, lands_on=None)
    expect(other.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
