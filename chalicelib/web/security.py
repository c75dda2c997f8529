"""2段階認証: one's own authenticator app, recovery codes and passkeys (/account/security), and an
administrator's reset of another account's second factor."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.errors import Conflict
from chalicelib.messages import t
from chalicelib.services import factors
from chalicelib.services.auth import SignedIn, renew
from chalicelib.web import context
from chalicelib.web.auth import _session_cookie
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

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
        return page("security/codes.html", codes=codes, first=True, cookies=[_session_cookie(renewed.token)])

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
