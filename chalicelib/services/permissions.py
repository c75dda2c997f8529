"""Who may do what: one table of role x action, and the tenant rule.

Every service that acts for a person calls ``authorize`` first. The company a client acts on
comes from their own account (the session), never from a parameter: asking about another
company's things is answered as if they did not exist. What the state of one request allows
on top of this (no comment once withdrawn, ...) is answered by ``policy``, built on this table.
"""
from __future__ import annotations

from chalicelib.models.users import AGENCY_ADMIN, AGENCY_STAFF, CLIENT_ADMIN, CLIENT_MEMBER, User
from chalicelib.errors import Forbidden, NotFound

# Actions on the accounts and companies of this issue.
COMPANY_LIST = "company.list"
COMPANY_CREATE = "company.create"
COMPANY_VIEW = "company.view"
ACCOUNT_LIST = "account.list"
ACCOUNT_VIEW = "account.view"
ACCOUNT_CREATE = "account.create"
ACCOUNT_EDIT = "account.edit"
ACCOUNT_DEACTIVATE = "account.deactivate"
ACCOUNT_RESEND_GUIDANCE = "account.resend_guidance"
ACCOUNT_HISTORY = "account.history"
ACCOUNT_UNLOCK = "account.unlock"
ACCOUNT_MAIL = "account.mail"                # lift a bounce or complaint stop on the address
ACCOUNT_ROLE = "account.role"                # 管理者にする / 管理者から外す
ACCOUNT_SECOND_FACTOR = "account.second_factor"  # reset another account's 2段階認証 (it lost its phone)
STAFF_MANAGE = "staff.manage"
SETTINGS_EDIT = "settings.edit"
# Actions on requests (依頼).
REQUEST_VIEW = "request.view"
REQUEST_CREATE = "request.create"
REQUEST_COMMENT = "request.comment"
REQUEST_MANAGE = "request.manage"            # status, 担当者, 公開希望日, 社内メモ
REQUEST_PARTICIPANTS = "request.participants"  # 依頼関係者
REQUEST_WITHDRAW = "request.withdraw"
REQUEST_CONFIRM = "request.confirm"          # the client confirms completion (確認待ち -> 完了)
REQUEST_REOPEN = "request.reopen"            # 再開: a 完了 or 取り下げ request comes back (policy adds who, when)
INBOX_VIEW = "inbox.view"
MAIL_PREFERENCES = "mail.preferences"        # one's own mail settings (メール通知設定)
# Maintenance contracts and points.
POINTS_MENU_VIEW = "points.menu.view"        # ポイント表: shared with every client
POINTS_MENU_EDIT = "points.menu.edit"
CONTRACT_VIEW = "contract.view"
CONTRACT_EDIT = "contract.edit"
POINTS_VIEW = "points.view"                  # 残りポイント, ポイント履歴, 月次明細 of a company
POINTS_TOPUP = "points.topup"                # チャージ and 調整
POINTS_OVERVIEW = "points.overview"          # every company's usage
ESTIMATE_EDIT = "estimate.edit"              # 見積 on a request
ESTIMATE_ANSWER = "estimate.answer"          # 承認 / 差し戻し
# 請求書.
INVOICE_MANAGE = "invoice.manage"            # 請求書の設定, drafts, 発行, 取消, every company's invoices
INVOICE_VIEW = "invoice.view"                # a company's own issued invoices
# 月次保守レポート.
REPORT_VIEW = "report.view"                  # a company's sent reports (the agency: drafts too)
REPORT_WRITE = "report.write"                # the agency's コメント and 送信

AUDIT_VIEW = "audit.view"                    # 監査ログ: the agency's whole log; a client admin its company's
CHAT_MANAGE = "chat.manage"                  # the agency's chat destinations (and seeing every company's)
CHAT_MANAGE_COMPANY = "chat.manage_company"  # a company's own chat destinations

_ACCOUNT_ADMIN = {ACCOUNT_LIST, ACCOUNT_VIEW, ACCOUNT_CREATE, ACCOUNT_EDIT, ACCOUNT_DEACTIVATE,
                  ACCOUNT_RESEND_GUIDANCE, ACCOUNT_ROLE, ACCOUNT_SECOND_FACTOR}

_AGENCY_WORK = {REQUEST_VIEW, REQUEST_COMMENT, REQUEST_MANAGE, REQUEST_REOPEN, INBOX_VIEW, MAIL_PREFERENCES,
                POINTS_MENU_VIEW, CONTRACT_VIEW, POINTS_VIEW, POINTS_OVERVIEW, ESTIMATE_EDIT, REPORT_VIEW, REPORT_WRITE}
_CLIENT_WORK = {REQUEST_VIEW, REQUEST_CREATE, REQUEST_COMMENT, REQUEST_PARTICIPANTS, REQUEST_WITHDRAW,
                REQUEST_CONFIRM, REQUEST_REOPEN, MAIL_PREFERENCES, POINTS_MENU_VIEW, CONTRACT_VIEW, POINTS_VIEW, ESTIMATE_ANSWER,
                REPORT_VIEW}

PERMISSIONS: dict[str, frozenset[str]] = {
    AGENCY_ADMIN: frozenset(_ACCOUNT_ADMIN | _AGENCY_WORK | {COMPANY_LIST, COMPANY_CREATE, COMPANY_VIEW,
                                                             ACCOUNT_HISTORY, ACCOUNT_UNLOCK, ACCOUNT_MAIL,
                                                             STAFF_MANAGE, SETTINGS_EDIT, POINTS_MENU_EDIT,
                                                             CONTRACT_EDIT, POINTS_TOPUP, INVOICE_MANAGE, CHAT_MANAGE,
                                                             AUDIT_VIEW}),
    # Staff answer requests: they may look companies and their people up, not manage them.
    AGENCY_STAFF: frozenset(_AGENCY_WORK | {COMPANY_LIST, COMPANY_VIEW, ACCOUNT_LIST, ACCOUNT_VIEW}),
    CLIENT_ADMIN: frozenset(_ACCOUNT_ADMIN | _CLIENT_WORK | {INVOICE_VIEW, CHAT_MANAGE_COMPANY, AUDIT_VIEW}),
    CLIENT_MEMBER: frozenset(_CLIENT_WORK),
}


def can(actor: User, action: str) -> bool:
    return action in PERMISSIONS.get(actor.role, frozenset())


def authorize(actor: User, action: str, *, company_id: str | None = None, agency_target: bool = False) -> None:
    """Raise unless ``actor`` may do ``action`` on a thing of ``company_id``.

    A client acting on anything outside its own company gets NotFound (the thing's existence
    must not leak); a role that lacks the action gets Forbidden. ``agency_target`` marks things
    that belong to the agency itself (staff accounts), which no client may see.
    """
    if not actor.is_agency and (agency_target or company_id != actor.company_id):
        raise NotFound()
    if not can(actor, action):
        raise Forbidden()
