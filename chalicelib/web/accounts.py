"""アカウント管理 (manual section 4), the agency's staff pages and its settings.

Client admins manage their own company's accounts under /accounts; the agency manages any
company's from the company page (/clients/..., web/companies.py), staff accounts under /staff,
and its settings. All of them share one account form (``account_form``, ``register``) and one
account page.
"""
from __future__ import annotations

from dataclasses import asdict

from chalice import Blueprint

from chalicelib.messages import ACCOUNT_EVENTS, FIELD_LABELS, t
from chalicelib.services import accounts, companies, notifications, permissions, validation
from chalicelib.services.auth import SignedIn
from chalicelib.errors import NotFound
from chalicelib.web import confirmations
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, submit
from chalicelib.web.forms import form as posted_form
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

ACCOUNT_NOTICES = ("created", "created_mail_failed", "updated", "deactivated", "reactivated",
                   "deactivated_mail_failed", "reactivated_mail_failed", "guidance_resent", "unlocked",
                   "mail_resumed", "role_changed", "role_changed_mail_failed", "second_factor_reset",
                   "second_factor_reset_mail_failed")
ACCOUNT_FIELDS = ("user_id", "name", "kana", "phone", "email")


def _notice(allowed: tuple[str, ...], prefix: str) -> str | None:
    key = (bp.current_request.query_params or {}).get("notice", "")
    return t(f"{prefix}.{key}") if key in allowed else None


def _posted_account() -> accounts.AccountForm:
    return accounts.AccountForm(**{name: field(name) for name in ACCOUNT_FIELDS}, role=field("role"))


def account_form(*, action: str, heading: str, back: str, form: accounts.AccountForm | None = None,
                  errors: dict | None = None, status: int = 200, company=None, editing=None, staff_form=False):
    return page("accounts/form.html", status=status, action=action, heading=heading, back=back,
                form=form or accounts.AccountForm(), errors=errors or {}, company=company, editing=editing,
                staff_form=staff_form)


def register(me: SignedIn, *, company_id: str | None, action: str, heading: str, back: str, company=None,
             staff_form: bool = False):
    form = _posted_account()

    def run():
        if company_id is None:
            return accounts.register_staff(me.user, form)
        return accounts.register_account(me.user, form, company_id=company_id)

    def done(created):
        notice = "created" if created.mail_sent else "created_mail_failed"
        return redirect(f"/accounts/{created.user.user_id}?notice={notice}")

    return submit(run, done=done, conflict=False, unavailable=True,
                  refuse=lambda status, errors: account_form(action=action, heading=heading, back=back, form=form,
                                                              errors=errors, status=status, company=company,
                                                              staff_form=staff_form))


# Client side: the own company's accounts.

@bp.route("/accounts", methods=["GET"])
@signed_in_page
def account_list(me: SignedIn):
    if me.user.is_agency:
        return redirect("/clients")
    users, cursor = accounts.list_accounts(me.user, company_id=me.user.company_id, after=_after())
    return page("accounts/list.html", accounts=users, next_page=next_page("/accounts", cursor),
                company=companies.own_company(me.user), can_create=permissions.can(me.user, permissions.ACCOUNT_CREATE),
                can_chat=permissions.can(me.user, permissions.CHAT_MANAGE_COMPANY))


def _after() -> str | None:
    return (bp.current_request.query_params or {}).get("after")


def next_page(path: str, cursor: str | None) -> str | None:
    """The link to the next page of an account list at ``path``, or None when there is none."""
    return f"{path}?after={cursor}" if cursor else None


def _own_company_id(me: SignedIn) -> str:
    """The company of a client's own account management; the agency uses the company pages."""
    if me.user.company_id is None:
        raise NotFound()
    return me.user.company_id


@bp.route("/accounts/new", methods=["GET"])
@signed_in_page
def account_new(me: SignedIn):
    permissions.authorize(me.user, permissions.ACCOUNT_CREATE, company_id=_own_company_id(me))
    return account_form(action="/accounts", heading=t("account.heading_new"), back="/accounts")


@bp.route("/accounts", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_create(me: SignedIn):
    return register(me, company_id=_own_company_id(me), action="/accounts", heading=t("account.heading_new"),
                     back="/accounts")


# One account: detail (アカウント詳細), edit, deactivate, re-send guidance, unlock.

@bp.route("/accounts/{user_id}", methods=["GET"])
@signed_in_page
def account_detail(me: SignedIn, user_id: str):
    detail = accounts.account_detail(me.user, user_id)
    return page("accounts/detail.html", detail=detail, account=detail.user,
                notice=_notice(ACCOUNT_NOTICES, "account"), events=ACCOUNT_EVENTS, labels=FIELD_LABELS,
                can=lambda action: permissions.can(me.user, action), P=permissions, error=None, errors={},
                ask=confirmations.deactivate(detail.user))


@bp.route("/accounts/{user_id}/edit", methods=["GET"])
@signed_in_page
def account_edit_form(me: SignedIn, user_id: str):
    detail = accounts.account_detail(me.user, user_id)
    permissions.authorize(me.user, permissions.ACCOUNT_EDIT, company_id=detail.user.company_id,
                          agency_target=detail.user.is_agency)
    user = detail.user
    form = accounts.AccountForm(user_id=user.user_id, name=user.name, kana=user.kana, phone=user.phone,
                                email=user.email)
    return account_form(action=f"/accounts/{user.user_id}/edit", heading=t("account.heading_edit"),
                         back=f"/accounts/{user.user_id}", form=form, editing=user)


@bp.route("/accounts/{user_id}/edit", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_edit(me: SignedIn, user_id: str):
    form = _posted_account()
    form.user_id = user_id
    back = f"/accounts/{user_id}"
    version = validation.whole_number(field("version") or "0", -1)

    def refuse(status: int, errors: dict):
        editing = accounts.account_detail(me.user, user_id).user
        return account_form(action=f"{back}/edit", heading=t("account.heading_edit"), back=back, form=form,
                             errors=errors, status=status, editing=editing)

    return submit(lambda: accounts.edit_account(me.user, user_id, form, version=version),
                  done=lambda _: redirect(f"{back}?notice=updated"), refuse=refuse)


def _account_action(me: SignedIn, user_id: str, run, notice: str, *, done=None):
    def refuse(status: int, errors: dict):
        detail = accounts.account_detail(me.user, user_id)
        return page("accounts/detail.html", status=status, detail=detail, account=detail.user, notice=None,
                    events=ACCOUNT_EVENTS, labels=FIELD_LABELS, P=permissions,
                    can=lambda action: permissions.can(me.user, action), error=errors.get("_form"),
                    errors=errors, ask=confirmations.deactivate(detail.user))

    return submit(run, done=done or (lambda result: redirect(f"/accounts/{user_id}?notice={_said(notice, result)}")),
                  refuse=refuse, conflict=False)


def _said(notice: str, result: object) -> str:
    """The notice after an action; after a change the account is mailed about (accounts.Changed),
    one that says whether the mail left."""
    return f"{notice}_mail_failed" if isinstance(result, accounts.Changed) and not result.mail_sent else notice


@bp.route("/accounts/{user_id}/deactivate", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_deactivate(me: SignedIn, user_id: str):
    """無効にする asks first (web/confirmations.py), when the page would offer it."""
    if not confirmations.confirmed():
        account = accounts.account_detail(me.user, user_id).user
        if (permissions.can(me.user, permissions.ACCOUNT_DEACTIVATE) and account.active
                and account.user_id.lower() != me.user.user_id.lower()):
            return confirmations.ask(confirmations.deactivate(account), keep=())
    return _account_action(me, user_id, lambda: accounts.set_active(me.user, user_id, active=False), "deactivated")


@bp.route("/accounts/{user_id}/reactivate", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_reactivate(me: SignedIn, user_id: str):
    return _account_action(me, user_id, lambda: accounts.set_active(me.user, user_id, active=True), "reactivated")


@bp.route("/accounts/{user_id}/role", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_role(me: SignedIn, user_id: str):
    """権限: 管理者にする (role=admin) / 管理者から外す (role=member)."""
    wanted = field("role")

    def done(changed: accounts.Changed):
        # An admin who hands the role over can no longer open the account pages: back to the 管理画面.
        if changed.user.user_id.lower() == me.user.user_id.lower() and not changed.user.is_admin:
            return redirect("/")
        return redirect(f"/accounts/{user_id}?notice={_said('role_changed', changed)}")

    return _account_action(me, user_id, lambda: accounts.set_admin(me.user, user_id, admin=wanted == "admin"),
                           "role_changed", done=done)


@bp.route("/accounts/{user_id}/resend-guidance", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_resend_guidance(me: SignedIn, user_id: str):
    result = {}

    def run():
        result["sent"] = accounts.resend_guidance(me.user, user_id).mail_sent

    response = _account_action(me, user_id, run, "guidance_resent")
    if result.get("sent") is False:
        return redirect(f"/accounts/{user_id}?notice=created_mail_failed")
    return response


@bp.route("/accounts/{user_id}/unlock", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_unlock(me: SignedIn, user_id: str):
    return _account_action(me, user_id, lambda: accounts.unlock(me.user, user_id), "unlocked")


@bp.route("/accounts/{user_id}/mail-resume", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def account_mail_resume(me: SignedIn, user_id: str):
    return _account_action(me, user_id, lambda: accounts.resume_mail(me.user, user_id), "mail_resumed")


# One's own mail settings (メール通知設定).

@bp.route("/account/mail", methods=["GET"])
@signed_in_page
def mail_settings(me: SignedIn):
    permissions.authorize(me.user, permissions.MAIL_PREFERENCES, company_id=me.user.company_id)
    saved = (bp.current_request.query_params or {}).get("notice") == "saved"
    enabled = me.user.mail_unassigned if me.user.is_agency else me.user.mail_following
    return page("accounts/mail.html", enabled=enabled, notice=t("mail.preferences_saved") if saved else None)


@bp.route("/account/mail", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def save_mail_settings(me: SignedIn):
    notifications.save_preferences(me.user, enabled=field("enabled") == "on")
    return redirect("/account/mail?notice=saved")


# Agency side: staff accounts and settings.

@bp.route("/staff", methods=["GET"])
@signed_in_page
def staff_list(me: SignedIn):
    users, cursor = accounts.list_accounts(me.user, company_id=None, after=_after())
    return page("staff/list.html", accounts=users, next_page=next_page("/staff", cursor),
                can_create=permissions.can(me.user, permissions.STAFF_MANAGE))


@bp.route("/staff/new", methods=["GET"])
@signed_in_page
def staff_new(me: SignedIn):
    permissions.authorize(me.user, permissions.STAFF_MANAGE, agency_target=True)
    return account_form(action="/staff", heading=t("account.heading_staff_new"), back="/staff", staff_form=True)


@bp.route("/staff", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def staff_create(me: SignedIn):
    return register(me, company_id=None, action="/staff", heading=t("account.heading_staff_new"), back="/staff",
                    staff_form=True)


@bp.route("/settings", methods=["GET"])
@signed_in_page
def settings_form(me: SignedIn):
    permissions.authorize(me.user, permissions.SETTINGS_EDIT, agency_target=True)
    return page("settings/form.html", form=None, errors={}, notice=_notice(("saved",), "settings"))


@bp.route("/settings", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def settings_save(me: SignedIn):
    form = companies.SettingsForm(name=field("agency_name"), phone=field("phone"),
                                  mail_sender_name=field("mail_sender_name"), display_name=field("display_name"),
                                  client_reopen_days=field("client_reopen_days"), colour=field("colour"),
                                  audit_retention_days=posted_form().get("audit_retention_days"),
                                  # The checkbox is absent when unticked: the hidden marker says the form had it.
                                  require_two_factor=(field("require_two_factor") == "1") if field("two_factor_shown")
                                  else None)
    raw_version = field("version")
    return submit(lambda: companies.update_settings(me.user, form,
                                                    version=validation.whole_number(raw_version)),
                  done=lambda _: redirect("/settings?notice=saved"),
                  refuse=lambda status, errors: page("settings/form.html", status=status, form=asdict(form),
                                                     errors=errors))
