"""2段階認証 with an authenticator app (TOTP): enrolment, the second step of a sign-in, replay and
clock skew, recovery codes, enforcement by the agency and per company, and an administrator's reset.
Through chalice.test.Client and the emulator; the codes are computed here with pyotp from the key
the enrolment page shows, as an authenticator app would."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from chalicelib.models.agency import AgencySettings
from chalicelib.models.audit import AuditEntry
from chalicelib.models.companies import Company
from chalicelib.models.factors import TotpFactor
from chalicelib.models.users import User
from chalicelib.services import auth, factors
from tests.support.factories import PASSWORD, make_client, make_company
from tests.support.mailbox import mail_to


def _enrol(web, user) -> tuple[str, list[str]]:
    """Sign in, open 認証アプリの登録, confirm with a code; the secret and the recovery codes."""
    web.cookies.clear()
    assert web.login(user.user_id, PASSWORD).status_code == 303
    page = web.text(web.get("/account/security/totp"))
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    assert "QRコード" in page and "<svg" in page
    done = web.post("/account/security/totp", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, web.text(done)
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", web.text(done))
    return secret, codes


def _next_code(secret: str) -> str:
    """The app's code of the coming step: the current one confirmed the enrolment and is spent."""
    return pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))


def _api_status(web, path: str) -> int:
    return web.client.http.get(path, headers=web._headers()).status_code


def _audit_kinds(user_id: str) -> list[str]:
    return [entry.event for entry in AuditEntry.gsi2.query(f"AUDITBY#{user_id.lower()}")]


def test_enrolment_shows_a_qr_code_and_a_key_and_the_same_secret_on_reload(web, make_user):
    user = make_user()
    web.login(user.user_id, PASSWORD)
    first = web.text(web.get("/account/security/totp"))
    again = web.text(web.get("/account/security/totp"))
    secret = re.search(r'data-secret="([A-Z2-7]+)"', first).group(1)
    assert secret in again  # a reload does not invalidate what the app scanned
    key_shown = re.search(r'id="totp-key"[^>]*>([^<]+)<', first).group(1)
    assert key_shown.split() == [secret[i:i + 4] for i in range(0, len(secret), 4)]
    assert "確認コード（6桁）" in first


def test_a_wrong_code_is_refused_on_the_page_and_keeps_what_was_typed(web, make_user):
    user = make_user()
    web.login(user.user_id, PASSWORD)
    web.get("/account/security/totp")
    refused = web.post("/account/security/totp", {"code": "000000x"})
    assert refused.status_code == 400
    assert "確認コードが正しくありません" in web.text(refused) and 'value="000000x"' in web.text(refused)
    assert User.find(user.user_id).two_factor is False


def test_enrolment_gives_ten_recovery_codes_stored_hashed(web, make_user):
    user = make_user()
    secret, codes = _enrol(web, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    factor = TotpFactor.find(user.user_id)
    assert factor.confirmed and User.find(user.user_id).two_factor
    stored = factor.recovery_hashes
    assert len(stored) == 10 and not any(code.replace("-", "") in "".join(stored) for code in codes)
    assert "second_factor_enrolled" in _audit_kinds(user.user_id)


def test_sign_in_asks_for_the_code_after_the_password(web, make_user):
    user = make_user()
    secret, _ = _enrol(web, user)
    web.cookies.clear()
    response = web.login(user.user_id, PASSWORD)
    assert response.headers["location"] == "/login/second"
    # The pending session opens nothing else, and the API refuses it.
    assert web.get("/").headers["location"] == "/login/second"
    assert _api_status(web, "/api/requests") == 401
    page = web.text(web.get("/login/second"))
    assert "確認コード（6桁）またはリカバリーコード" in page
    done = web.post("/login/second", {"code": _next_code(secret), "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "管理画面" in web.text(web.get("/"))
    assert {"second_factor_used", "login_succeeded"} & set(_audit_kinds(user.user_id))


def test_a_code_works_once(web, make_user):
    user = make_user()
    secret, _ = _enrol(web, user)
    # The code that confirmed the app is spent already; wait for neither clock nor step: use the next one.
    now = datetime.now(timezone.utc)
    step_code = pyotp.TOTP(secret).at(now + timedelta(seconds=30))
    pending = auth.login(user.user_id, PASSWORD, now=now)
    assert factors.verify(User.find(user.user_id), step_code, now=now) == "totp"
    assert factors.verify(User.find(user.user_id), step_code, now=now) is None  # replay refused
    auth.logout(pending)


def test_clock_skew_of_one_step_either_way_and_no_more():
    from tests.support.factories import make_user as make
    user = make()
    factor = TotpFactor(*TotpFactor.keys(user.user_id), user_id=user.user_id, secret=pyotp.random_base32(32),
                        confirmed=True, created_at=datetime.now(timezone.utc))
    factor.save()
    user.update(actions=[User.two_factor.set(True)])
    totp = pyotp.TOTP(factor.secret)
    now = datetime(2026, 12, 3, 3, 0, 15, tzinfo=timezone.utc)
    assert factors.verify(user, totp.at(now - timedelta(seconds=30)), now=now) == "totp"  # phone a step slow
    assert factors.verify(user, totp.at(now + timedelta(seconds=30)), now=now) == "totp"  # a step fast
    assert factors.verify(user, totp.at(now + timedelta(seconds=90)), now=now) is None  # three steps: refused
    later = now + timedelta(minutes=5)
    assert factors.verify(user, totp.at(later - timedelta(seconds=60)), now=later) is None  # two steps slow


def test_wrong_codes_count_towards_the_throttle(web, make_user):
    user = make_user()
    _enrol(web, user)
    web.cookies.clear()
    web.login(user.user_id, PASSWORD)
    web.get("/login/second")
    statuses = [web.post("/login/second", {"code": "123456", "next": "/"}).status_code for _ in range(6)]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert "ログインの失敗が続いて" in web.text(web.post("/login/second", {"code": "123456", "next": "/"}))
    kinds = [entry.event for entry in AuditEntry.gsi2.query(f"AUDITBY#{user.user_id.lower()}")]
    assert kinds.count("second_factor_failed") >= 3


def test_a_recovery_code_works_once(web, make_user):
    user = make_user()
    _, codes = _enrol(web, user)
    web.cookies.clear()
    web.login(user.user_id, PASSWORD)
    web.get("/login/second")
    typed = codes[0].upper().replace("-", " ")  # as someone might type it off paper
    done = web.post("/login/second", {"code": typed, "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/account/security?notice=recovery_used"
    assert "残りは9個です" in web.text(web.get(done.headers["location"]))
    web.cookies.clear()
    web.login(user.user_id, PASSWORD)
    web.get("/login/second")
    assert web.post("/login/second", {"code": codes[0], "next": "/"}).status_code == 401
    assert "recovery_code_used" in _audit_kinds(user.user_id)


def test_regenerated_recovery_codes_replace_the_old_ones(web, make_user):
    user = make_user()
    _, old = _enrol(web, user)
    page = web.text(web.post("/account/security/recovery-codes", {}))
    new = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert factors.verify(User.find(user.user_id), old[1]) is None
    assert factors.verify(User.find(user.user_id), new[1]) == "recovery"


def test_enrolment_ends_the_accounts_other_sessions(web, client, make_user):
    from tests.support.agent import Agent
    user = make_user()
    other = Agent(client)
    other.login(user.user_id, PASSWORD)
    assert other.get("/").status_code == 200
    _enrol(web, user)
    assert web.get("/").status_code == 200  # the one that enrolled goes on, with a new session
    assert other.get("/").headers["location"].startswith("/login")


@pytest.fixture
def agency_requires_two_factor():
    settings = AgencySettings.load()
    settings.update(actions=[AgencySettings.require_two_factor.set(True)])
    yield
    settings.update(actions=[AgencySettings.require_two_factor.set(False)])


def test_the_agency_requirement_takes_staff_to_enrolment_after_the_password(web, make_user, agency_requires_two_factor):
    user = make_user(role="agency_staff")
    response = web.login(user.user_id, PASSWORD)
    assert response.headers["location"] == "/account/security"
    assert web.get("/").headers["location"] == "/account/security"
    assert _api_status(web, "/api/requests") == 403
    assert "このアカウントには2段階認証の設定が必要です" in web.text(web.get("/account/security"))
    _enrol(web, user)
    assert web.get("/").status_code == 200
    # With the requirement the last factor cannot be removed.
    refused = web.post("/account/security/totp/delete", {})
    assert refused.status_code == 400 and "最後の認証方法は削除できません" in web.text(refused)


def test_a_forced_password_change_comes_before_the_required_enrolment(web, make_user, agency_requires_two_factor):
    user = make_user(role="agency_staff", must_change_password=True)
    assert web.login(user.user_id, PASSWORD).headers["location"] == "/password"
    new = "ajisai-no-hana-2026"
    web.get("/password")
    web.post("/password", {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new})
    assert web.get("/").headers["location"] == "/account/security"


def test_a_company_requirement_applies_to_its_accounts_only(web):
    strict, relaxed = make_company("株式会社厳格"), make_company("株式会社ふつう")
    strict.update(actions=[Company.require_two_factor.set(True)])
    in_strict, in_relaxed = make_client(strict), make_client(relaxed)
    assert web.login(in_strict.user_id, PASSWORD).headers["location"] == "/account/security"
    web.cookies.clear()
    assert web.login(in_relaxed.user_id, PASSWORD).headers["location"] == "/"


def test_a_client_admin_resets_a_member_who_is_mailed_and_signed_out(web, client):
    from tests.support.agent import Agent
    company = make_company("株式会社リセット")
    admin = make_client(company, role="client_admin")
    member = make_client(company)
    member_agent = Agent(client)
    _enrol(member_agent, member)
    assert member_agent.get("/").status_code == 200
    web.login(admin.user_id, PASSWORD)
    page = web.text(web.get(f"/accounts/{member.user_id}"))
    assert "2段階認証をリセット" in page and "設定済み" in page
    done = web.post(f"/accounts/{member.user_id}/second-factor-reset", {})
    assert done.headers["location"] == f"/accounts/{member.user_id}?notice=second_factor_reset"
    assert User.find(member.user_id).two_factor is False and TotpFactor.find(member.user_id) is None
    assert member_agent.get("/").headers["location"].startswith("/login")  # its sessions ended
    mail = mail_to(member.email)
    assert "2段階認証" in mail["text"] and "リセット" in mail["text"]
    member_agent.cookies.clear()
    assert member_agent.login(member.user_id, PASSWORD).headers["location"] == "/"  # the password alone again
    entries = list(AuditEntry.gsi1.query(f"AUDITCO#{company.company_id}"))
    assert any(e.event == "second_factor_reset" and e.actor_id == admin.user_id for e in entries)


def test_a_client_admin_cannot_reset_another_companys_account_or_staff(web, make_user):
    company, other = make_company(), make_company()
    admin = make_client(company, role="client_admin")
    outsider = make_client(other)
    staff = make_user(role="agency_staff")
    web.login(admin.user_id, PASSWORD)
    web.get("/")
    assert web.post(f"/accounts/{outsider.user_id}/second-factor-reset", {}).status_code == 404
    assert web.post(f"/accounts/{staff.user_id}/second-factor-reset", {}).status_code in (403, 404)


def test_no_secret_in_any_audit_entry_or_log_line(web, make_user, caplog):
    user = make_user()
    with caplog.at_level("INFO"):  # the app's level in AWS (botocore's DEBUG would print every request)
        secret, codes = _enrol(web, user)
        web.cookies.clear()
        web.login(user.user_id, PASSWORD)
        web.get("/login/second")
        web.post("/login/second", {"code": codes[2], "next": "/"})
    written = " ".join(str(entry.attribute_values) for entry in AuditEntry.gsi2.query(f"AUDITBY#{user.user_id.lower()}"))
    logged = caplog.text
    for secret_text in [secret, *[c.replace("-", "") for c in codes], *codes]:
        assert secret_text not in written and secret_text not in logged
