"""2段階認証: one's own authenticator app, recovery codes and passkeys (/account/security), and an
administrator's reset of another account's second factor."""
from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.errors import AuthenticationFailed, Conflict, Invalid
from chalicelib.messages import t
from chalicelib.services import agency, auth, factors, passkeys
from chalicelib.services.auth import SignedIn, renew
from chalicelib.web import context
from chalicelib.web.auth import after_sign_in, safe_next, session_cookie  # the sign-in steps share them
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import handle_errors, signed_in_page
from chalicelib.web.responses import expired_cookie, page, redirect

bp = Blueprint(__name__)

NOTICES = {"removed": "security.totp_removed", "passkey_added": "security.passkey_added",
           "passkey_removed": "security.passkey_removed", "enrolled": "security.enrolled"}


def _security_page(me: SignedIn, *, status: int = 200, errors: dict | None = None, notice: str | None = None,
                   passkey_name: str = ""):
    found = factors.of(me.user)
    if notice is None:
        key = (context.request().query_params or {}).get("notice", "")
        if key == "recovery_used":
            notice = t("second.recovery_used", left=found.recovery_left)
        elif key in NOTICES:
            notice = t(NOTICES[key])
    must_enrol = me.session.enrol_required and not me.user.two_factor
    return page("security/index.html", status=status, factors=found, errors=errors or {}, notice=notice,
                must_enrol=must_enrol, required=factors.required(me.user) if found.count else must_enrol,
                passkey_name=passkey_name)


@bp.route("/account/security", methods=["GET"])
@signed_in_page
def security(me: SignedIn):
    return _security_page(me)


@bp.route("/account/security/totp", methods=["GET"])
@signed_in_page
def totp_form(me: SignedIn):
    try:
        setup = factors.start_totp(me.user)
    except Conflict:
        return redirect("/account/security")
    return page("security/totp.html", setup=setup, errors={}, code="")


@bp.route("/account/security/totp", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def totp_confirm(me: SignedIn):
    code = field("code")

    def done(codes: list[str]):
        renewed = renew(me, me.user)  # confirm_totp ended every session of the account, this one too
        context.replace_signed_in(renewed)
        return page("security/codes.html", codes=codes, first=True, cookies=[session_cookie(renewed.token)])

    def refuse(status: int, errors: dict):
        return page("security/totp.html", status=status, setup=factors.start_totp(me.user), errors=errors, code=code)

    try:
        return submit(lambda: factors.confirm_totp(me.user, code), done=done, refuse=refuse, conflict=False)
    except Conflict:  # set up already (another tab confirmed first)
        return redirect("/account/security")


@bp.route("/account/security/totp/delete", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def totp_remove(me: SignedIn):
    return submit(lambda: factors.remove_totp(me.user), done=lambda _: redirect("/account/security?notice=removed"),
                  refuse=lambda status, errors: _security_page(me, status=status, errors=errors), conflict=False)


@bp.route("/account/security/recovery-codes", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def recovery_codes(me: SignedIn):
    if factors.of(me.user).app is None:
        return redirect("/account/security")  # removed meanwhile: nothing to renew
    codes = factors.regenerate_recovery_codes(me.user)
    return page("security/codes.html", codes=codes, first=False, notice=t("security.codes_renewed"))


@bp.route("/accounts/{user_id}/second-factor-reset", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def second_factor_reset(me: SignedIn, user_id: str):
    """2段階認証をリセット on an account page (the agency admin: anyone; a client admin: its company)."""
    from chalicelib.web.accounts import _account_action

    result = {}

    def run():
        result["mail_sent"] = factors.reset(me.user, user_id)

    response = _account_action(me, user_id, run, "second_factor_reset")
    if result.get("mail_sent") is False:
        return redirect(f"/accounts/{user_id}?notice=second_factor_reset_mail_failed")
    return response


# Passkeys. js/passkeys.js posts these as forms (the CSRF token a field, as on every page; the
# browser's answer a JSON field) and reads JSON back: the options to hand to the browser, where
# to go next, or the message to show. A body no script of ours sends is refused like any form's.

def _json(body: object, status: int = 200, cookies: list[str] | None = None) -> Response:
    headers: dict = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=body if isinstance(body, str) else json.dumps(body, ensure_ascii=False),
                    status_code=status, headers=headers)


def _party() -> passkeys.RelyingParty:
    return passkeys.relying_party(context.request().headers.get("host", ""))


def _answer() -> dict:
    """What the script posted: the browser's answer (JSON in the field ``credential``), the name
    typed and where to go next."""
    return {"credential": passkeys.parse(field("credential")), "name": field("name"), "next": field("next")}


def _passkey_call(run) -> Response:
    """Answer a passkey call: its JSON, or a message the page shows (400) that loses nothing typed."""
    try:
        return run()
    except Invalid as error:
        return _json({"message": error.errors.get("_form") or t("form.check"), "errors": error.errors}, 400)
    except passkeys.PasskeyFailed:
        return _json({"message": t("passkey.failed")}, 400)


@bp.route("/account/security/passkeys/options", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def passkey_registration_options(me: SignedIn):
    return _passkey_call(lambda: _json(passkeys.registration_options(me.user, _party())))


@bp.route("/account/security/passkeys", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def passkey_register(me: SignedIn):
    def run():
        first = passkeys.register(me.user, _answer(), _party())
        cookies = None
        if first:  # the account's first factor ended its sessions: this one goes on under a new token
            renewed = renew(me, me.user)
            context.replace_signed_in(renewed)
            cookies = [session_cookie(renewed.token)]
        return _json({"redirect": "/account/security?notice=passkey_added"}, cookies=cookies)
    return _passkey_call(run)


@bp.route("/account/security/passkeys/{credential_id}/delete", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def passkey_remove(me: SignedIn, credential_id: str):
    return submit(lambda: passkeys.remove(me.user, credential_id),
                  done=lambda _: redirect("/account/security?notice=passkey_removed"),
                  refuse=lambda status, errors: _security_page(me, status=status, errors=errors), conflict=False)


@bp.route("/login/passkey/options", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def passkey_login_options():
    """Options for a sign-in: the second step of a pending session, else by passkey alone."""
    pending = context.pending()
    return _passkey_call(lambda: _json(passkeys.authentication_options(_party(), user=pending.user if pending else None)))


@bp.route("/login/passkey", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def passkey_login():
    pending = context.pending()

    def run():
        answer = _answer()
        user = passkeys.authenticate(answer, _party(), user=pending.user if pending else None)
        try:
            signed_in = auth.passkey_sign_in(user, pending=pending)
        except AuthenticationFailed:
            return _json({"message": t("login.temporary_hint", agency=agency.settings().name)}, 400)
        context.replace_signed_in(signed_in)
        return _json({"redirect": after_sign_in(signed_in, safe_next(answer["next"] or "/"))},
                     cookies=[session_cookie(signed_in.token), expired_cookie(context.csrf_cookie_name())])
    return _passkey_call(run)
