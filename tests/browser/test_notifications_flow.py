"""E-mail notifications in a real browser, walked as new users would: a client files a request,
the staff member reads the mail in the local mailbox (/dev/mail), follows its link (signing in on
the way) and comments; the requester and the 依頼関係者 get that comment by mail, the staff member
gets the client's answer, and the agency's request page lists everything under メール通知. The
メール通知設定 page is reached from the account menu.

The mailbox is shared by the whole session, so every mail is found by its unique 件名 and its
宛先. Mail is sent in-process right after each change in local mode; the mailbox page is static,
so `mailbox_shows` loads it again until the expected mail is there (Playwright's auto-waiting
`expect`, never a sleep).
"""
from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from chalicelib.models.users import AGENCY_STAFF, User, members_partition
from tests.support.browser import REQUEST_URL, fill_login, heading, log_in, thread, token
from tests.support.factories import make_client, make_company
from tests.support.waits import WAIT_S

pytestmark = pytest.mark.browser

NO_REPLY = "このメールに返信しても届きません"
SCREENSHOTS = "/tmp/notif-{}.png"
SHOTS = Path("/tmp/shots-mail")  # the issue 16 mail walks, at 1280x800 and 390x844
PHONE = {"width": 390, "height": 844}


def add_comment(page: Page, text: str) -> None:
    page.get_by_role("link", name="コメントを追加").click()
    box = page.get_by_label("コメント", exact=True)
    expect(box).to_be_visible()
    box.fill(text)
    page.get_by_role("button", name="コメント追加").click()
    expect(thread(page).get_by_role("listitem").filter(has_text=text)).to_have_count(1)


def change_status(page: Page, label: str, *, due_date: str | None = None) -> None:
    """Save 状態 (and 公開希望日) in the agency's 対応状況の変更 panel."""
    panel = page.get_by_role("region", name="対応状況の変更")
    panel.get_by_label("状態").select_option(label=label)
    if due_date is not None:
        panel.get_by_label("公開希望日").fill(due_date)
    panel.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")


def save_estimate(page: Page, *, name: str, points: str, quantity: str) -> None:
    """Write a one-line 個別見積 in the request page's 見積 panel and save it."""
    panel = page.get_by_role("region", name=re.compile("^見積"))
    panel.get_by_text("見積を作成する").click()
    row = panel.get_by_role("group", name="項目 1")
    row.get_by_label("項目名").fill(name)
    row.get_by_label("ポイント", exact=True).fill(points)
    row.get_by_label("数量").fill(quantity)
    panel.get_by_role("button", name="見積を保存").click()
    expect(page.get_by_role("status")).to_have_text("見積を保存しました。お客様の承認をお待ちください。")


def shoot(target: Page | Locator, name: str) -> None:
    """Keep a screenshot under /tmp/shots-mail/: a page whole, a locator (one mail of the long
    mailbox) on its own."""
    SHOTS.mkdir(exist_ok=True)
    if isinstance(target, Page):
        target.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    else:
        target.scroll_into_view_if_needed()
        target.screenshot(path=str(SHOTS / f"{name}.png"))


def shoot_request_on_a_phone(open_page, base_url: str, user_id: str, path: str, name: str) -> None:
    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(phone, base_url, user_id)
    phone.goto(base_url + path)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    shoot(phone, name)


def shoot_mail_on_a_phone(open_page, base_url: str, *, subject: str, to: str, name: str) -> Locator:
    phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    mail = mailbox_shows(phone, base_url, mails(phone, subject=subject, to=to))
    shoot(mail, name)
    return mail


# The local mailbox.

def mails(page: Page, *, subject: str, to: str, containing: str | None = None) -> Locator:
    """The mails in the mailbox page with this exact 件名 to exactly this 宛先 (optionally with
    ``containing`` in the text body)."""
    found = (page.get_by_role("article")
             .filter(has=page.get_by_role("heading", level=2, name=subject, exact=True))
             .filter(has=page.locator("dt", has_text=re.compile("^宛先$"))
                     .locator("xpath=following-sibling::dd[1]", has_text=re.compile(f"^{re.escape(to)}$"))))
    if containing is not None:
        found = found.filter(has=page.locator("pre", has_text=containing))
    return found


def mails_about(page: Page, tail: str, *, to: str) -> Locator:
    """Every mail in the mailbox page about one request (件名 ending in its ``tail``: company,
    #number, 件名), whatever its 【…】, to exactly this 宛先."""
    return (page.get_by_role("article")
            .filter(has=page.get_by_role("heading", level=2, name=re.compile(rf"^【[^】]+】{re.escape(tail)}$")))
            .filter(has=page.locator("dt", has_text=re.compile("^宛先$"))
                    .locator("xpath=following-sibling::dd[1]", has_text=re.compile(f"^{re.escape(to)}$"))))


def field(mail: Locator, term: str) -> Locator:
    return mail.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


def mailbox_shows(page: Page, base_url: str, found: Locator, count: int = 1) -> Locator:
    """Open the mailbox, and open it again until ``found`` matches ``count`` mails."""
    deadline = time.monotonic() + WAIT_S
    while True:
        page.goto(base_url + "/dev/mail")
        expect(page.get_by_role("heading", level=1, name="ローカルメールボックス")).to_be_visible()
        try:
            # The page is static: it is looked at for half a second, then loaded again.
            expect(found).to_have_count(count, timeout=500)
            return found
        except AssertionError:
            if time.monotonic() > deadline:
                raise


@pytest.fixture
def staff_told_of_new_requests(make_user):
    """A staff member who gets the mail about requests nobody is assigned to (the factory's
    accounts do not: the session's table is shared), turned off again afterwards."""
    # The only one: agency accounts other tests registered through the forms (where the setting
    # starts on) would each be told too, and the request page's 送信履歴 counts every mail.
    for other in User.gsi1.query(members_partition(None)):
        if other.mail_unassigned:
            other.update(actions=[User.mail_unassigned.set(False)])
    user = make_user(role=AGENCY_STAFF, name=f"担当 通知{token()}", mail_unassigned=True)
    try:
        yield user
    finally:
        User.find(user.user_id).update(actions=[User.mail_unassigned.set(False)])


def test_request_and_comments_reach_the_other_side_by_mail(page, open_page, live_server,
                                                           staff_told_of_new_requests):
    base = live_server.url
    staff = staff_told_of_new_requests
    tag = token()
    company = make_company(f"株式会社通知{tag}")
    requester = make_client(company, name=f"依頼 一子{tag}")
    colleague = make_client(company, name=f"関係 二郎{tag}")
    title = f"お問い合わせ先の電話番号の変更 {tag}"
    body = f"フッターの電話番号を 03-0000-0000 に変えてください。{tag}"
    subject = f"【新規依頼】{company.name} #1 {title}"
    commented = f"【コメント】{company.name} #1 {title}"  # the same tail: one conversation
    staff_comment = f"承知しました。本日中に差し替えます。{tag}"
    client_comment = f"ありがとうございます。ヘッダーもお願いします。{tag}"

    # 1. The client files the request with a colleague as 依頼関係者.
    log_in(page, base, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(heading(page, "新規依頼の登録")).to_be_visible()
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill(body)
    page.get_by_role("group", name=re.compile("依頼関係者")).get_by_label(colleague.name).check()
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)
    expect(heading(page, f"#1 {title}")).to_be_visible()
    request_path = page.url.removeprefix(base).split("?", 1)[0].split("#", 1)[0]
    # The client does not see the agency's mail panel.
    expect(page.get_by_role("region", name="メール通知")).to_have_count(0)

    # 2. The staff member's mail, read in the local mailbox in the staff member's own browser.
    agency = open_page()
    to_staff = mailbox_shows(agency, base, mails(agency, subject=subject, to=staff.email))
    agency.screenshot(path=SCREENSHOTS.format("mailbox"))
    expect(field(to_staff, "差出人")).not_to_contain_text(staff.email)
    text = to_staff.locator("pre").first
    expect(text).to_contain_text(f"{staff.name} 様")
    expect(text).to_contain_text(f"{requester.name}様({company.name})から新しい依頼が届きました。")
    expect(text).to_contain_text(body)
    expect(text).to_contain_text(NO_REPLY)
    expect(text).to_contain_text(base + request_path)
    # The colleague chosen as 依頼関係者 got one too, saying why; the requester did not.
    to_colleague = mails(agency, subject=subject, to=colleague.email)
    expect(to_colleague).to_have_count(1)
    expect(to_colleague.locator("pre").first).to_contain_text("あなたを依頼関係者に加えました")
    expect(mails(agency, subject=subject, to=requester.email)).to_have_count(0)
    to_staff.scroll_into_view_if_needed()
    to_staff.get_by_text("HTML版", exact=True).click()  # the HTML version opens in place
    expect(to_staff.get_by_title(f"{subject}(HTML版)")).to_be_visible()
    to_staff.screenshot(path=SCREENSHOTS.format("mail-new-request"))

    # Following the link: the login page first, then the request itself.
    text.get_by_role("link", name=base + request_path).click()
    expect(agency).to_have_url(re.compile(r"/login\?"))
    fill_login(agency, staff.user_id)
    expect(agency).to_have_url(base + request_path)
    expect(heading(agency, f"#1 {title}")).to_be_visible()

    # 3. The staff member comments.
    add_comment(agency, staff_comment)

    # 4. The requester and the 依頼関係者 get the comment; the staff member, its author, does not.
    probe = open_page()
    to_requester = mailbox_shows(probe, base, mails(probe, subject=commented, to=requester.email,
                                                    containing=staff_comment))
    expect(to_requester.locator("pre").first).to_contain_text("がコメントしました。")
    expect(to_requester.locator("pre").first).to_contain_text(f"{requester.name} 様")
    expect(to_requester.locator("pre").first).to_contain_text(NO_REPLY)
    expect(mails(probe, subject=commented, to=colleague.email, containing=staff_comment)).to_have_count(1)
    expect(mails(probe, subject=commented, to=staff.email, containing=staff_comment)).to_have_count(0)
    # Only the new-request mail was ever sent to the staff member so far.
    expect(mails(probe, subject=subject, to=staff.email)).to_have_count(1)
    expect(mails(probe, subject=commented, to=staff.email)).to_have_count(0)
    to_requester.screenshot(path=SCREENSHOTS.format("mail-comment"))

    # 5. The client answers (on the page the link leads to); the staff member is told.
    to_requester.locator("pre").first.get_by_role("link", name=base + request_path).click()
    expect(heading(probe, "ログイン")).to_be_visible()
    fill_login(probe, requester.user_id)
    expect(heading(probe, f"#1 {title}")).to_be_visible()
    expect(thread(probe)).to_contain_text(staff_comment)
    add_comment(probe, client_comment)

    reply = mailbox_shows(probe, base, mails(probe, subject=commented, to=staff.email, containing=client_comment))
    expect(reply.locator("pre").first).to_contain_text(f"{requester.name}様がコメントしました。")
    expect(reply.locator("pre").first).to_contain_text(NO_REPLY)
    # The other client participant hears of it too; the author does not.
    expect(mails(probe, subject=commented, to=colleague.email, containing=client_comment)).to_have_count(1)
    expect(mails(probe, subject=commented, to=requester.email, containing=client_comment)).to_have_count(0)

    # 6. The staff member's request page lists what was sent.
    agency.reload()
    expect(thread(agency)).to_contain_text(client_comment)
    panel = agency.get_by_role("region", name="メール通知")
    expect(panel).to_be_visible()
    expect(panel).not_to_contain_text("送信できなかったメールがあります。")
    history = panel.locator("details")
    history.get_by_text(re.compile(r"^送信履歴")).click()
    entries = history.get_by_role("listitem")
    # 新規依頼 → staff, colleague; staff comment → requester, colleague; client comment → staff, colleague.
    expect(history.get_by_text("送信履歴(6件)", exact=True)).to_be_visible()
    expect(entries).to_have_count(6)
    expect(entries.filter(has_text="送信済み")).to_have_count(6)
    expect(entries.filter(has_text=staff.name).filter(has_text="新規依頼: 送信済み")).to_have_count(1)
    expect(entries.filter(has_text=colleague.name).filter(has_text="新規依頼: 送信済み")).to_have_count(1)
    expect(entries.filter(has_text=requester.name).filter(has_text="コメント: 送信済み")).to_have_count(1)
    expect(entries.filter(has_text=colleague.name).filter(has_text="コメント: 送信済み")).to_have_count(2)
    expect(entries.filter(has_text=staff.name).filter(has_text="コメント: 送信済み")).to_have_count(1)
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=SCREENSHOTS.format("mail-panel"))
    agency.screenshot(path=SCREENSHOTS.format("request-page"), full_page=True)


def test_mail_settings_from_the_account_menu(page, live_server, staff_told_of_new_requests):
    base = live_server.url
    staff = staff_told_of_new_requests
    tag = token()
    company = make_company(f"株式会社設定{tag}")
    requester = make_client(company, name=f"依頼 三子{tag}")
    colleague = make_client(company, name=f"関係 四郎{tag}")

    # The 依頼関係者 turns off mail for requests they only follow.
    log_in(page, base, colleague.user_id)
    page.get_by_role("navigation", name="アカウントメニュー").get_by_role("link", name="メール通知設定").click()
    expect(heading(page, "メール通知設定")).to_be_visible()
    choice = page.get_by_label("依頼関係者になっている依頼のメールも受け取る")
    expect(choice).to_be_checked()
    page.screenshot(path=SCREENSHOTS.format("settings-client"), full_page=True)
    choice.uncheck()
    page.get_by_role("button", name="設定を保存する").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("settings-client-saved"), full_page=True)
    expect(page.get_by_label("依頼関係者になっている依頼のメールも受け取る")).not_to_be_checked()
    page.reload()
    expect(page.get_by_label("依頼関係者になっている依頼のメールも受け取る")).not_to_be_checked()

    # The staff member sees their own choice.
    page.get_by_role("button", name="ログアウト").click()
    log_in(page, base, staff.user_id)
    page.get_by_role("navigation", name="アカウントメニュー").get_by_role("link", name="メール通知設定").click()
    expect(heading(page, "メール通知設定")).to_be_visible()
    expect(page.get_by_label(re.compile("新規依頼と、担当者が決まっていない依頼へのコメントのメールを受け取る"))).to_be_checked()
    page.screenshot(path=SCREENSHOTS.format("settings-staff"), full_page=True)

    # A new request with the colleague as 依頼関係者 now reaches the staff member only.
    page.get_by_role("button", name="ログアウト").click()
    title = f"採用情報の更新 {tag}"
    subject = f"【新規依頼】{company.name} #1 {title}"
    log_in(page, base, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill(f"募集職種を追加してください。{tag}")
    page.get_by_role("group", name=re.compile("依頼関係者")).get_by_label(colleague.name).check()
    page.get_by_role("button", name="依頼を登録する").click()
    expect(heading(page, f"#1 {title}")).to_be_visible()

    mailbox_shows(page, base, mails(page, subject=subject, to=staff.email))
    expect(mails(page, subject=subject, to=colleague.email)).to_have_count(0)


def test_the_completion_mail_names_the_event_and_states_the_points(page, open_page, live_server, make_user):
    """The staff member completes a request with its estimate on the request page; the requester's
    mail is titled 【完了】 with the request's usual tail, and its text and HTML versions both say
    what was charged and what is left, under the agency's name."""
    from chalicelib.services import contracts, estimates
    from chalicelib.services import pointrules as r
    from chalicelib.services.ledger import today_jst
    from tests.support.factories import make_request

    base = live_server.url
    tag = token()
    company = make_company(f"株式会社完了{tag}")
    requester = make_client(company, name=f"依頼 五子{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 六郎{tag}")
    admin = make_user(name=f"管理 七郎{tag}")
    contracts.save_contract(admin, company.company_id, contracts.ContractForm(
        kind=r.PREPAID_MONTHLY, points="10", carry_over=True, starts_on=today_jst().isoformat()))
    title = f"バナーの差し替え {tag}"
    request = make_request(requester, title=title)
    estimates.save_estimate(staff, request.request_id,
                            [estimates.LineInput(name="バナーの差し替え", points="2", quantity="2")], version=0)

    log_in(page, base, staff.user_id)
    page.goto(f"{base}/requests/{request.request_id}")
    expect(heading(page, f"#1 {title}")).to_be_visible()
    panel = page.get_by_role("region", name="対応状況の変更")
    panel.get_by_label("状態").select_option(label="完了")
    panel.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_have_text("依頼を更新しました。")

    said = "この依頼で4 ptを消費しました。残りは6 ptです。"
    subject = f"【完了】{company.name} #1 {title}"
    for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})):
        reader = open_page(viewport=viewport)
        mail = mailbox_shows(reader, base, mails(reader, subject=subject, to=requester.email))
        expect(mail.locator("pre").first).to_contain_text(said)
        expect(mail.locator("pre").first).to_contain_text(f"{requester.name} 様")
        mail.get_by_text("HTML版", exact=True).click()
        html = mail.get_by_title(f"{subject}(HTML版)")
        expect(html).to_be_visible()
        body = html.content_frame.locator("body")
        expect(body).to_contain_text(said)
        expect(body).to_contain_text(f"{requester.name} 様")
        mail.scroll_into_view_if_needed()
        mail.screenshot(path=f"/tmp/shots-M/mail-done-{name}.png")


def _staff_opens_a_clients_request(page: Page, base: str, make_user, word: str):
    """A client's request (filed through the service), and a staff member with it open in ``page``."""
    from tests.support.factories import make_request

    tag = token()
    company = make_company(f"株式会社{word}{tag}")
    requester = make_client(company, name=f"依頼 {word}{tag}")
    staff = make_user(role=AGENCY_STAFF, name=f"担当 {word}{tag}")
    request = make_request(requester, title=f"採用ページの更新 {tag}")
    log_in(page, base, staff.user_id)
    page.goto(f"{base}/requests/{request.request_id}")
    expect(heading(page, f"#1 {request.title}")).to_be_visible()
    return company, requester, staff, request


def test_the_estimate_and_the_request_to_check_are_mailed_under_subjects_that_say_so(page, open_page, live_server,
                                                                                     make_user):
    """The staff member saves a 見積 on the request page: the requester's mail is titled
    【見積のご確認】 with the request's usual tail (company, #number, 件名) and lists the estimate
    as the screen writes it. Then the staff member sets 確認待ち: the next mail is titled
    【ご確認のお願い】 and asks the client to answer on the request page."""
    base = live_server.url
    company, requester, staff, request = _staff_opens_a_clients_request(page, base, make_user, "見積通知")
    tail = f"{company.name} #1 {request.title}"
    path = f"/requests/{request.request_id}"

    save_estimate(page, name="写真の差し替え", points="2.5", quantity="2")
    expect(page.get_by_role("region", name=re.compile("^見積")).locator(".estimate__total")).to_contain_text("5 pt")
    shoot(page, "estimate-saved-desktop")
    shoot_request_on_a_phone(open_page, base, staff.user_id, path, "estimate-saved-phone")

    reader = open_page()
    estimate_mail = mailbox_shows(reader, base, mails(reader, subject=f"【見積のご確認】{tail}", to=requester.email))
    text = estimate_mail.locator("pre").first
    expect(text).to_contain_text(f"{requester.name} 様")
    expect(text).to_contain_text("見積をお送りしました。")
    expect(text).to_contain_text("「承認」または「差し戻し」")
    expect(text).to_contain_text("・写真の差し替え × 2: 5 pt")
    expect(text).to_contain_text(base + path)
    shoot(estimate_mail, "mail-estimate-desktop")
    shoot_mail_on_a_phone(open_page, base, subject=f"【見積のご確認】{tail}", to=requester.email,
                          name="mail-estimate-phone")

    change_status(page, "確認待ち")
    waiting_mail = mailbox_shows(reader, base, mails(reader, subject=f"【ご確認のお願い】{tail}", to=requester.email))
    text = waiting_mail.locator("pre").first
    expect(text).to_contain_text("状態を「新規」から「確認待ち」に変更しました。")
    expect(text).to_contain_text("内容をご確認のうえ、依頼の進行画面からお返事ください。")
    # One mail for each: the estimate's is not sent again with the status.
    expect(mails(reader, subject=f"【見積のご確認】{tail}", to=requester.email)).to_have_count(1)
    shoot(waiting_mail, "mail-waiting-desktop")
    shoot_mail_on_a_phone(open_page, base, subject=f"【ご確認のお願い】{tail}", to=requester.email,
                          name="mail-waiting-phone")


@pytest.fixture
def mail_as_in_aws(monkeypatch):
    """Mail left to the every-minute sender with its two-minute window, as in AWS: the local
    server's inline sending would send each change's mail at once, before the next change."""
    monkeypatch.setenv("IRAI_MAIL_DELIVERY", "scheduled")
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "120")


def test_a_comment_and_a_status_change_within_the_window_reach_the_requester_as_one_mail(
        page, open_page, live_server, make_user, mail_as_in_aws):
    """The staff member comments and then sets 確認待ち, a minute apart at most. The sender (run
    here as the schedule runs it, for this request: notifications.deliver_request, the way the
    integration tests sweep) holds both for the window, so the request page lists them as
    送信待ち and the mailbox has nothing yet; once the window has passed, the requester gets ONE
    mail, titled after what asks the most of them (【ご確認のお願い】), that tells both in order."""
    from chalicelib.adapters import config
    from chalicelib.clock import utcnow
    from chalicelib.services import notifications

    base = live_server.url
    company, requester, staff, request = _staff_opens_a_clients_request(page, base, make_user, "窓口")
    tail = f"{company.name} #1 {request.title}"
    said = f"採用ページを更新しました。ご確認ください。{token()}"

    add_comment(page, said)
    change_status(page, "確認待ち")
    notifications.deliver_request(request.request_id)  # a run of the sender within the window

    page.reload()
    history = page.get_by_role("region", name="メール通知").locator("details")
    history.get_by_text(re.compile(r"^送信履歴")).click()
    to_requester = history.get_by_role("listitem").filter(has_text=requester.name)
    expect(to_requester).to_have_count(2)
    expect(to_requester.filter(has_text="コメント: 送信待ち")).to_have_count(1)
    expect(to_requester.filter(has_text="状態の変更: 送信待ち")).to_have_count(1)
    shoot(page, "window-pending-desktop")
    reader = open_page()
    mailbox_shows(reader, base, mails_about(reader, tail, to=requester.email), count=0)

    # The first run after the window sends both together.
    notifications.deliver_request(request.request_id, now=utcnow() + config.mail_window() + timedelta(seconds=1))
    one = mailbox_shows(reader, base, mails_about(reader, tail, to=requester.email))
    expect(one.get_by_role("heading", level=2)).to_have_text(f"【ご確認のお願い】{tail}")
    text = one.locator("pre").first
    expect(text).to_contain_text("この依頼について、2件のお知らせをまとめてお送りします。")
    expect(text).to_contain_text(re.compile(
        rf"■ コメント.*{re.escape(said)}.*■ ご確認のお願い.*「新規」から「確認待ち」に変更しました。", re.S))
    shoot(one, "mail-window-desktop")
    shoot_mail_on_a_phone(open_page, base, subject=f"【ご確認のお願い】{tail}", to=requester.email,
                          name="mail-window-phone")
    page.reload()
    history = page.get_by_role("region", name="メール通知").locator("details")
    history.get_by_text(re.compile(r"^送信履歴")).click()
    to_requester = history.get_by_role("listitem").filter(has_text=requester.name)
    expect(to_requester.filter(has_text="送信済み")).to_have_count(2)
    shoot(page, "window-sent-desktop")
    shoot_request_on_a_phone(open_page, base, staff.user_id, f"/requests/{request.request_id}", "window-sent-phone")


@pytest.fixture
def agency_colour():
    """The agency's mail colour set to one of its own (not the app's default), put back after."""
    from chalicelib.models.agency import AgencySettings

    settings = AgencySettings.load()
    before = settings.colour
    settings.colour = "#0f5132"
    settings.save()
    try:
        yield settings.name, "rgb(15, 81, 50)"  # #0f5132 as the browser computes it
    finally:
        settings = AgencySettings.load()
        settings.colour = before
        settings.save()


def test_the_mail_writes_dates_as_the_screen_does_and_wears_the_agencys_colour(page, open_page, live_server,
                                                                             make_user, agency_colour):
    """The staff member sets a 公開希望日 and 確認待ち in one save. The requester's mail writes the
    公開希望日 and the time of the change exactly as the request page shows them (2026/12/04,
    2026/12/04 10:30), never as ISO dates; and its HTML version, opened in place in the mailbox,
    has the agency's colour on the band above the text and on the button to the request."""
    from chalicelib.services.ledger import today_jst

    agency_name, colour = agency_colour
    base = live_server.url
    company, requester, staff, request = _staff_opens_a_clients_request(page, base, make_user, "日付")
    subject = f"【ご確認のお願い】{company.name} #1 {request.title}"
    due = today_jst() + timedelta(days=20)

    change_status(page, "確認待ち", due_date=due.isoformat())
    on_screen_due = field(page.get_by_role("article", name=re.compile(re.escape(request.title))), "公開希望日")
    expect(on_screen_due).to_have_text(due.strftime("%Y/%m/%d"))
    changed = thread(page).get_by_role("listitem").filter(has_text="「新規」から「確認待ち」に変更しました")
    shown_due, shown_at = on_screen_due.inner_text(), changed.locator("time").inner_text()
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}", shown_at), shown_at
    shoot(page, "dates-request-desktop")
    shoot_request_on_a_phone(open_page, base, staff.user_id, f"/requests/{request.request_id}",
                             "dates-request-phone")

    reader = open_page()
    mail = mailbox_shows(reader, base, mails(reader, subject=subject, to=requester.email))
    text = mail.locator("pre").first
    expect(text).to_contain_text(f"状態: 確認待ち / 公開希望日: {shown_due}")
    expect(text).to_contain_text(f"■ ご確認のお願い({shown_at})")
    expect(text).not_to_contain_text(due.isoformat())
    mail.get_by_text("HTML版", exact=True).click()
    html = mail.get_by_title(f"{subject}(HTML版)")
    expect(html).to_be_visible()
    body = html.content_frame.locator("body")
    expect(body.get_by_role("row").filter(has_text="公開希望日").get_by_role("cell")).to_have_text(shown_due)
    expect(body.get_by_role("heading", level=2)).to_have_text(f"ご確認のお願い({shown_at})")
    expect(body).not_to_contain_text(due.isoformat())
    # The band with the agency's name, and the button, in the agency's colour.
    expect(body.get_by_text(agency_name, exact=True)).to_have_css("background-color", colour)
    expect(body.get_by_role("link", name="依頼の進行画面を開く")).to_have_css("background-color", colour)
    shoot(mail, "mail-dates-colour-desktop")
    phone_mail = shoot_mail_on_a_phone(open_page, base, subject=subject, to=requester.email,
                                       name="mail-dates-colour-phone")
    phone_mail.get_by_text("HTML版", exact=True).click()
    expect(phone_mail.get_by_title(f"{subject}(HTML版)")).to_be_visible()
    shoot(phone_mail, "mail-dates-colour-phone-html")
