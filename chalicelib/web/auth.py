"""ログイン, ログアウト and パスワード変更 (manual section 1)."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

from chalice import Blueprint

from chalicelib.adapters import config
from chalicelib.messages import t
from chalicelib.services import agency as agency_settings, auth, factors
from chalicelib.errors import AuthenticationFailed
from chalicelib.services.throttle import Throttled
from chalicelib.web import context
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.guards import ENROL_PATHS_PREFIX, handle_errors, signed_in_page
from chalicelib.web.responses import cookie, expired_cookie, page, redirect

bp = Blueprint(__name__)

NOTICES = {"logged_out": "logout.done", "expired": "session.expired", "reset_done": "reset.done",
           "second_expired": "second.expired"}


def safe_next(target: str) -> str:
    """``target`` if it is a path on this site, else "/" (no open redirect).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    "/%09/evil.example" sent as "/<TAB>/evil.example", or "/\\evil.example", leads to another
    host. Accepted: one "/" then a path, no backslash, whitespace, control, format or separator
    character as sent, none of them in the path once percent-decoded either (and no control,
    format or line separator in the decoded query), and nothing urllib reads as a scheme or host.
    """
    if len(target) > _NEXT_MAX or not _plain(target, _REFUSED_AS_SENT):
        return "/"
    decoded, previous = target, None
    for _ in range(4):  # "%252F" decodes one layer at a time; a few layers are plenty
        if decoded == previous:
            break
        previous, decoded = decoded, unquote(decoded)
    path, _, query = decoded.partition("?")
    if not _plain(path, _REFUSED_AS_SENT) or not all(_allowed(char, _REFUSED_IN_QUERY) for char in query):
        return "/"
    return target


_NEXT_MAX = 2000
# Unicode categories: controls, format characters (bidi overrides, zero widths), surrogates,
# private use, unassigned, and every space and line or paragraph separator (U+3000, U+2028).
_REFUSED_AS_SENT = ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")
# A decoded query is only ever read by the app (a search may hold a space); the rest still goes.
_REFUSED_IN_QUERY = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _allowed(char: str, refused: tuple[str, ...]) -> bool:
    if char == "\\":
        return False
    if "Zs" in refused and char.isspace():
        return False
    return unicodedata.category(char) not in refused


def _plain(target: str, refused: tuple[str, ...]) -> bool:
    """An absolute path of this site: "/" not followed by "/" or "\\", no scheme, no host."""
    if not target.startswith("/") or target[1:2] in ("/", "\\"):
        return False
    if not all(_allowed(char, refused) for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def session_cookie(token: str) -> str:
    return cookie(context.session_cookie_name(), token, max_age=config.session_absolute_hours() * 3600)


@bp.route("/login", methods=["GET"])
@handle_errors
def login_form():
    if context.signed_in() is not None:
        return redirect("/")  # a pending second step may start over: the form shows
    query = bp.current_request.query_params or {}
    notice = NOTICES.get(query.get("notice", ""))
    return page("auth/login.html", user_id="", next=safe_next(query.get("next", "/")),
                notice=t(notice) if notice else None, error=None)


@bp.route("/password/forgot", methods=["GET"])
@handle_errors
def forgot_form():
    return page("auth/forgot.html", user_id="", sent=False, error=None)


@bp.route("/password/forgot", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def forgot():
    user_id = field("user_id")  # a user ID or an e-mail address
    # No account has an empty or over-long ID or address, so refusing these reveals nothing about which exist.
    error = t("required") if not user_id else t("too_long", max=auth.RESET_INPUT_MAX) if len(user_id) > auth.RESET_INPUT_MAX else None
    if error:
        return page("auth/forgot.html", status=400, user_id=user_id, sent=False, error=error)
    auth.request_password_reset(user_id)
    # The same answer whether or not the account exists.
    return page("auth/forgot.html", user_id="", sent=True, notice=t("reset.sent", agency=agency_settings.settings().name))


@bp.route("/password/reset/{token}", methods=["GET"])
@handle_errors
def reset_form(token: str):
    if not auth.reset_link_valid(token):
        return page("auth/reset.html", status=404, token=token, errors={}, invalid=True)
    return page("auth/reset.html", token=token, errors={}, invalid=False)


@bp.route("/password/reset/{token}", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def reset(token: str):
    try:
        return submit(lambda: auth.reset_password(token, new=field("new_password", strip=False),
                                                  confirm=field("new_password_confirm", strip=False)),
                      done=lambda _: redirect("/login?notice=reset_done"), conflict=False,
                      refuse=lambda status, errors: page("auth/reset.html", status=status, token=token,
                                                         errors=errors, invalid=False))
    except AuthenticationFailed:  # the link is used, expired or unknown
        return page("auth/reset.html", status=404, token=token, errors={}, invalid=True)


@bp.route("/login", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def login():
    user_id, next_path = field("user_id"), safe_next(field("next") or "/")
    try:
        signed_in = auth.login(user_id, field("password", strip=False), address=context.client_address())
    except AuthenticationFailed:
        return page("auth/login.html", status=401, user_id=user_id, next=next_path,
                    notice=None, error=t("login.failed"))
    except Throttled as refusal:
        return page("auth/login.html", status=429, user_id=user_id, next=next_path,
                    notice=None, error=t(refusal.message_key, agency=agency_settings.settings().name, **refusal.params),
                    throttled=True)
    context.replace_signed_in(signed_in)
    if signed_in.session.pending:
        target = "/login/second" + (f"?next={quote(next_path)}" if next_path != "/" else "")
    else:
        target = after_sign_in(signed_in, next_path)
    return redirect(target, cookies=[session_cookie(signed_in.token),
                                     expired_cookie(context.csrf_cookie_name())])


def after_sign_in(signed_in: auth.SignedIn, next_path: str) -> str:
    """Where a full sign-in goes: a forced password change first, then a required enrolment."""
    if signed_in.user.must_change_password:
        return "/password"
    if signed_in.session.enrol_required:
        return ENROL_PATHS_PREFIX
    return next_path


@bp.route("/login/second", methods=["GET"])
@handle_errors
def second_form():
    """The second step of a sign-in (2段階認証): a code from the app, a recovery code or a passkey."""
    pending = context.pending()
    if pending is None:
        return redirect("/" if context.signed_in() else "/login?notice=second_expired")
    next_path = safe_next((bp.current_request.query_params or {}).get("next", "/"))
    return _second_page(pending, next_path)


def _second_page(pending: auth.SignedIn, next_path: str, *, status: int = 200, error: str | None = None,
                 typed: str = "", throttled: bool = False):
    found = factors.of(pending.user)
    return page("auth/second.html", status=status, next=next_path, error=error, typed=typed, throttled=throttled,
                has_app=found.app is not None, has_passkeys=bool(found.passkeys))


@bp.route("/login/second", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def second():
    pending = context.pending()
    if pending is None:
        return redirect("/login?notice=second_expired")
    next_path, typed = safe_next(field("next") or "/"), field("code")
    try:
        signed_in, used = auth.second_step(pending, typed, address=context.client_address())
    except AuthenticationFailed:
        return _second_page(pending, next_path, status=401, error=t("second.failed"), typed=typed)
    except Throttled as refusal:
        return _second_page(pending, next_path, status=429, throttled=True, typed=typed,
                            error=t(refusal.message_key, agency=agency_settings.settings().name, **refusal.params))
    context.replace_signed_in(signed_in)
    target = after_sign_in(signed_in, next_path)
    if used == "recovery" and target == next_path:
        target = "/account/security?notice=recovery_used"  # a code fewer: the page says how many are left
    return redirect(target, cookies=[session_cookie(signed_in.token)])


@bp.route("/logout", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@handle_errors
def logout():
    """ログアウト, also of a session that never got past the second step."""
    me = context.session()
    if me is not None:
        auth.logout(me)
    context.replace_signed_in(None)
    return redirect("/login?notice=logged_out", cookies=[expired_cookie(context.session_cookie_name())])


@bp.route("/password", methods=["GET"])
@signed_in_page
def password_form(me: auth.SignedIn):
    return page("auth/password.html", errors={}, forced=me.user.must_change_password)


@bp.route("/password", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def change_password(me: auth.SignedIn):
    forced = me.user.must_change_password

    def done(renewed: auth.SignedIn):
        context.replace_signed_in(renewed)
        return redirect("/?notice=password_changed", cookies=[session_cookie(renewed.token)])

    # Passwords are never echoed back into the page: the user types them again.
    return submit(lambda: auth.change_password(me, current=field("current_password", strip=False),
                                               new=field("new_password", strip=False),
                                               confirm=field("new_password_confirm", strip=False)),
                  done=done, conflict=False,
                  refuse=lambda status, errors: page("auth/password.html", status=status, errors=errors, forced=forced))
