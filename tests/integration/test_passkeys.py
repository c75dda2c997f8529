"""パスキー through the app's JSON endpoints, answered by a software authenticator with real
signatures (tests/support/authenticator.py): registration, the second step, a sign-in without a
password, one answer per challenge, user verification, another account's key, names, removal,
the last-factor rule, and what reaches the audit log. The browser flow is in
tests/browser/test_two_factor_flow.py (Chromium's virtual authenticator)."""
from __future__ import annotations

import json

import pytest

from chalicelib.models.agency import AgencySettings
from chalicelib.models.audit import AuditEntry
from chalicelib.models.factors import Passkey
from chalicelib.models.users import User
from tests.support.agent import Agent
from tests.support.authenticator import SoftPasskey, b64
from tests.support.factories import PASSWORD

HOST = "localhost:8000"
ORIGIN = f"http://{HOST}"


@pytest.fixture
def agent(client) -> Agent:
    return Agent(client, host=HOST)


def _call(agent: Agent, path: str, fields: dict | None = None):
    """Post as js/passkeys.js does: a form whose ``credential`` is the browser's answer as JSON."""
    sent = {name: value if isinstance(value, str) else json.dumps(value) for name, value in (fields or {}).items()}
    agent.page_token = agent.csrf_token() or getattr(agent, "page_token", "")  # the page the script runs on
    response = agent.post(path, sent, headers={"Origin": f"http://{agent.host}"}, token=agent.page_token)
    return response, json.loads(response.body) if response.body.startswith(b"{") else {}


def _signed_in(agent: Agent, user) -> None:
    agent.login(user.user_id, PASSWORD)
    agent.get("/account/security")


def _register(agent: Agent, key: SoftPasskey, name: str = "会社のパソコン"):
    _, options = _call(agent, "/account/security/passkeys/options")
    return _call(agent, "/account/security/passkeys", {"name": name, "credential": key.create(options)})


def test_register_a_passkey_under_a_name(agent, make_user):
    user = make_user()
    _signed_in(agent, user)
    response, options = _call(agent, "/account/security/passkeys/options")
    assert response.status_code == 200
    assert options["rp"]["id"] == "localhost" and options["authenticatorSelection"]["residentKey"] == "required"
    key = SoftPasskey(ORIGIN)
    done, answer = _call(agent, "/account/security/passkeys", {"name": "会社のパソコン", "credential": key.create(options)})
    assert done.status_code == 200 and answer["redirect"] == "/account/security?notice=passkey_added"
    page = agent.text(agent.get(answer["redirect"]))
    assert "会社のパソコン" in page and "パスキーを登録しました。" in page
    stored = Passkey.find(user.user_id, b64(key.credential_id))
    assert stored.name == "会社のパソコン" and User.find(user.user_id).two_factor
    # The next registration excludes the keys the account has.
    _, again = _call(agent, "/account/security/passkeys/options")
    assert [c["id"] for c in again["excludeCredentials"]] == [b64(key.credential_id)]


def test_a_passkey_needs_a_name_and_keeps_nothing_without_one(agent, make_user):
    user = make_user()
    _signed_in(agent, user)
    refused, answer = _register(agent, SoftPasskey(ORIGIN), name="  ")
    assert refused.status_code == 400 and answer["errors"]["passkey_name"] == "パスキーの名前を入力してください。"
    long, answer = _register(agent, SoftPasskey(ORIGIN), name="あ" * 41)
    assert long.status_code == 400 and "passkey_name" in answer["errors"]
    assert User.find(user.user_id).two_factor is False


def test_an_answer_counts_once_and_only_for_its_own_origin(agent, make_user):
    user = make_user()
    _signed_in(agent, user)
    _, options = _call(agent, "/account/security/passkeys/options")
    key = SoftPasskey(ORIGIN)
    answer = key.create(options)
    assert _call(agent, "/account/security/passkeys", {"name": "一つ目", "credential": answer})[0].status_code == 200
    agent.get("/account/security")  # the first factor renewed the session (and its CSRF token)
    replay, said = _call(agent, "/account/security/passkeys", {"name": "二つ目", "credential": answer})
    assert replay.status_code == 400 and said["message"] == "パスキーを確認できませんでした。もう一度お試しください。"
    _, options = _call(agent, "/account/security/passkeys/options")
    phished = SoftPasskey(ORIGIN).create(options, origin="http://evil.example")
    assert _call(agent, "/account/security/passkeys", {"name": "偽物", "credential": phished})[0].status_code == 400


def test_a_passkey_is_the_second_step_after_the_password(agent, make_user):
    user = make_user()
    _signed_in(agent, user)
    key = SoftPasskey(ORIGIN)
    _register(agent, key)
    agent.cookies.clear()
    assert agent.login(user.user_id, PASSWORD).headers["location"] == "/login/second"
    page = agent.text(agent.get("/login/second"))
    assert "パスキーを使う" in page
    _, options = _call(agent, "/login/passkey/options")
    assert [c["id"] for c in options["allowCredentials"]] == [b64(key.credential_id)]
    done, answer = _call(agent, "/login/passkey", {"credential": key.get(options), "next": "/"})
    assert done.status_code == 200 and answer["redirect"] == "/"
    assert agent.get("/").status_code == 200
    assert "second_factor_used" in [e.event for e in AuditEntry.gsi2.query(f"AUDITBY#{user.user_id.lower()}")]


def test_sign_in_with_a_passkey_alone_needs_user_verification(agent, client, make_user):
    user = make_user()
    _signed_in(agent, user)
    key = SoftPasskey(ORIGIN)
    _register(agent, key)
    stranger = Agent(client, host=HOST)
    stranger.get("/login")
    _, options = _call(stranger, "/login/passkey/options")
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    unverified, _ = _call(stranger, "/login/passkey", {"credential": key.get(options, verified=False)})
    assert unverified.status_code == 400
    _, options = _call(stranger, "/login/passkey/options")
    done, answer = _call(stranger, "/login/passkey", {"credential": key.get(options)})
    assert done.status_code == 200 and answer["redirect"] == "/"
    assert user.name in stranger.text(stranger.get("/"))
    assert "passkey_login" in [e.event for e in AuditEntry.gsi2.query(f"AUDITBY#{user.user_id.lower()}")]


def test_a_pending_session_cannot_pass_with_another_accounts_passkey(agent, client, make_user):
    owner, victim = make_user(), make_user()
    owner_agent = Agent(client, host=HOST)
    _signed_in(owner_agent, owner)
    owner_key = SoftPasskey(ORIGIN)
    _register(owner_agent, owner_key)
    _signed_in(agent, victim)
    _register(agent, SoftPasskey(ORIGIN))
    agent.cookies.clear()
    agent.login(victim.user_id, PASSWORD)
    agent.get("/login/second")
    _, options = _call(agent, "/login/passkey/options")
    response, _ = _call(agent, "/login/passkey", {"credential": owner_key.get(options)})
    assert response.status_code == 400
    assert agent.get("/").headers["location"] == "/login/second"


def test_an_ip_address_host_is_told_to_use_the_name(client, make_user):
    agent = Agent(client)  # 127.0.0.1:8000
    _signed_in(agent, make_user())
    response, said = _call(agent, "/account/security/passkeys/options")
    assert response.status_code == 400 and "http://localhost:8000" in said["message"]


def test_malformed_answers_are_refused_with_a_message(agent):
    agent.get("/login")  # signed out: a sign-in by passkey alone
    for credential in ("", "[]", "{", '"x"', json.dumps({"response": {}}), json.dumps({"response": {"clientDataJSON": "!!"}}),
                       "x" * 20_000):
        response, said = _call(agent, "/login/passkey", {"credential": credential})
        assert response.status_code == 400, credential[:40]
        assert said["message"] == "パスキーを確認できませんでした。もう一度お試しください。"


def test_removing_the_last_passkey_when_required_is_refused(agent, make_user):
    user = make_user(role="agency_staff")
    _signed_in(agent, user)
    key = SoftPasskey(ORIGIN)
    _register(agent, key)
    settings = AgencySettings.load()
    settings.update(actions=[AgencySettings.require_two_factor.set(True)])
    try:
        agent.get("/account/security")
        refused = agent.post(f"/account/security/passkeys/{b64(key.credential_id)}/delete", {})
        assert refused.status_code == 400 and "最後の認証方法は削除できません" in agent.text(refused)
    finally:
        settings.update(actions=[AgencySettings.require_two_factor.set(False)])
    agent.get("/account/security")
    done = agent.post(f"/account/security/passkeys/{b64(key.credential_id)}/delete", {})
    assert done.headers["location"] == "/account/security?notice=passkey_removed"
    assert User.find(user.user_id).two_factor is False


def test_no_key_material_in_the_audit_log(agent, make_user):
    user = make_user()
    _signed_in(agent, user)
    key = SoftPasskey(ORIGIN)
    _register(agent, key)
    written = " ".join(str(e.attribute_values) for e in AuditEntry.gsi2.query(f"AUDITBY#{user.user_id.lower()}"))
    stored = Passkey.find(user.user_id, b64(key.credential_id))
    assert stored.public_key not in written and b64(key.credential_id) not in written
