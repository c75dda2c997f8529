"""Where a page sits: each side's persistent menu and the breadcrumb trail, built in one place.

responses.page() asks `for_page` for every page it renders, so no template writes a trail or a
menu by hand (templates/_nav.html and _breadcrumbs.html only draw what this returns).

- The menu is the side's list (agency: 受信箱, クライアント管理, ポイント, 請求書, 担当者, 設定;
  client: 管理画面, 依頼一覧, ポイント, 月次保守レポート, 請求書, アカウント管理), each entry shown only to a role the permission
  table lets open it. The entry of the page is marked aria-current="page"; the entry of the
  section the page sits in (クライアント管理 on a company's page) aria-current="true".
- The trail is a table keyed by template: each page's title, which is what its <h1> reads
  (without the grey subtitle, .panel__sub), and its parents. A top page (管理画面, ログイン) has no
  trail; neither has a page that must come before anything else (the forced パスワード変更).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from chalicelib.messages import t
from chalicelib.services import companies, permissions, pointrules


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: str | None = None  # aria-current: "page" for the page itself, "true" for its section


@dataclass(frozen=True)
class Navigation:
    menu: list[Link] = field(default_factory=list)    # empty: no menu (signed out, forced password change)
    trail: list[Link] = field(default_factory=list)   # ancestors, then the page itself; empty on a top page


# The side's menus: (label key, href, the permission that opens it; None: every signed-in role).
AGENCY_MENU = (("nav.inbox", "/", permissions.INBOX_VIEW),
               ("nav.clients", "/clients", permissions.COMPANY_LIST),
               ("nav.points", "/points", permissions.POINTS_OVERVIEW),
               ("nav.invoices", "/invoices", permissions.INVOICE_MANAGE),
               ("nav.staff", "/staff", permissions.ACCOUNT_LIST),
               ("nav.audit", "/audit", permissions.AUDIT_VIEW),
               ("nav.settings", "/settings", permissions.SETTINGS_EDIT))
CLIENT_MENU = (("nav.home", "/", None),
               ("nav.requests", "/requests", permissions.REQUEST_VIEW),
               ("nav.points", "/points", permissions.POINTS_VIEW),
               ("nav.reports", "/reports", permissions.REPORT_VIEW),
               ("nav.invoices", "/invoices", permissions.INVOICE_VIEW),
               ("nav.accounts", "/accounts", permissions.ACCOUNT_LIST),
               ("nav.audit", "/audit", permissions.AUDIT_VIEW))


# ---- The pages' places. Each function gets the page's values and the viewer, and returns the
# trail: the parents (links) and last the page's own title.

Values = dict[str, Any]
_Trail = Callable[[Values, Any], list[Link]]


def _home() -> Link:
    return Link(t("nav.home"), "/")


def _clients() -> Link:
    return Link(t("nav.clients"), "/clients")


def _company(company) -> Link:
    return Link(company.name, f"/clients/{company.company_id}")


def _request(request) -> Link:
    return Link(f"#{request.number} {request.title}", f"/requests/{request.request_id}")


def _points(viewer) -> Link:
    return Link(t("nav.points_overview") if viewer.is_agency else t("nav.points_balance"), "/points")


def _own(label: str) -> list[Link]:
    """A page right below 管理画面."""
    return [_home(), Link(label, "")]


def _account_parents(account, viewer) -> list[Link]:
    """Where an account's page sits: its company's page (agency), 担当者アカウント, or アカウント管理."""
    if viewer.is_agency and account.company_id:
        return [_home(), _clients(), _company(companies.company(viewer, account.company_id))]
    if viewer.is_agency:
        return [_home(), Link(t("nav.staff_list"), "/staff")]
    return [_home(), Link(t("nav.accounts"), "/accounts")]


def _account_detail(v: Values, viewer) -> list[Link]:
    account = v["account"]
    return _account_parents(account, viewer) + [Link(t("nav.account_detail"), f"/accounts/{account.user_id}")]


def _account_form(v: Values, viewer) -> list[Link]:
    back = v["back"]
    if v.get("editing") is not None:
        parents = _account_detail({"account": v["editing"]}, viewer)
    elif v.get("company") is not None:
        parents = [_home(), _clients(), _company(v["company"])]
    elif back == "/staff":
        parents = [_home(), Link(t("nav.staff_list"), "/staff")]
    else:
        parents = [_home(), Link(t("nav.accounts"), "/accounts")]
    return parents + [Link(v["heading"], "")]


def _statement(v: Values, viewer) -> list[Link]:
    view = v.get("view")
    if viewer.is_agency:
        parents = [_home(), _clients()] + ([_company(view.company)] if view is not None else [])
    else:
        parents = [_home(), _points(viewer)]
    return parents + [Link(t("nav.statement"), "")]


def _report(v: Values, viewer) -> list[Link]:
    """月次保守レポート: below the company's page (agency), or the client's list of reports; the
    page's title names the month."""
    company, view = v.get("company"), v.get("view")
    title = t("nav.reports") + (f" {pointrules.month_label(view.month)}" if view is not None else "")
    if viewer.is_agency:
        return [_home(), _clients()] + ([_company(company)] if company is not None else []) + [Link(title, "")]
    return [_home(), Link(t("nav.reports"), "/reports"), Link(title, "")]


def _reset(viewer) -> list[Link]:
    """パスワードの再設定 sits below ログイン; once signed in, ログイン leads to 管理画面 anyway."""
    return [Link(t("nav.login"), "/login") if viewer is None else _home(), Link(t("nav.reset"), "")]


def _password(v: Values, viewer) -> list[Link]:
    return [] if v.get("forced") else _own(t("nav.password"))


def _settings(v: Values, viewer) -> list[Link]:
    # Until the agency's details are saved, the page is headed as the first step it is.
    return _own(t("nav.settings") if v["agency"].complete else t("nav.settings_first"))


def _chat_parent(viewer) -> Link:
    """チャット通知 sits under 設定 for the agency, under アカウント管理 for a client admin."""
    return Link(t("nav.settings"), "/settings") if viewer.is_agency else Link(t("nav.accounts"), "/accounts")


def _security() -> Link:
    return Link(t("nav.security"), "/account/security")


def _invoices() -> Link:
    return Link(t("nav.invoices"), "/invoices")


def _invoice(v: Values, viewer) -> list[Link]:
    invoice = v["invoice"]
    title = t("nav.invoice_number", number=v["number_text"](invoice)) if invoice.number is not None \
        else t("nav.invoice_draft")
    return [_home(), _invoices(), Link(title, "")]


def _confirm(v: Values, viewer) -> list[Link]:
    confirmation = v["confirmation"]
    return [_home(), Link(confirmation.back_label, confirmation.back), Link(confirmation.title, "")]


TRAILS: dict[str, _Trail] = {
    "auth/forgot.html": lambda v, viewer: _reset(viewer),
    "auth/reset.html": lambda v, viewer: _reset(viewer),
    "auth/password.html": _password,
    "accounts/list.html": lambda v, viewer: _own(t("nav.accounts")),
    "accounts/detail.html": _account_detail,
    "accounts/form.html": _account_form,
    "accounts/mail.html": lambda v, viewer: _own(t("nav.mail")),
    "security/index.html": lambda v, viewer: _own(t("nav.security")),
    "security/totp.html": lambda v, viewer: [_home(), _security(), Link(t("nav.totp"), "")],
    "security/codes.html": lambda v, viewer: [_home(), _security(), Link(t("nav.recovery_codes"), "")],
    "clients/list.html": lambda v, viewer: _own(t("nav.clients")),
    "clients/form.html": lambda v, viewer: [_home(), _clients(), Link(t("nav.client_new"), "")],
    "clients/detail.html": lambda v, viewer: [_home(), _clients(), Link(v["company"].name, "")],
    "confirm.html": _confirm,
    "points/balance.html": lambda v, viewer: _own(t("nav.points_balance")),
    "points/overview.html": lambda v, viewer: _own(t("nav.points_overview")),
    "points/menu.html": lambda v, viewer: [_home(), _points(viewer), Link(t("nav.points_menu"), "")],
    "points/statement.html": _statement,
    "requests/list.html": lambda v, viewer: _own(t("nav.search_results", keyword=v["keyword"]) if v.get("keyword")
                                                 else t("nav.status_list", status=v["labels"][v["shown_status"]])),
    "requests/new.html": lambda v, viewer: _own(t("nav.request_new")),
    "requests/show.html": lambda v, viewer: [_home(), Link(_request(v["request"]).label, "")],
    "requests/comment.html": lambda v, viewer: [_home(), _request(v["request"]), Link(t("nav.comment"), "")],
    "reports/show.html": _report,
    "reports/list.html": lambda v, viewer: _own(t("nav.reports")),
    "staff/list.html": lambda v, viewer: _own(t("nav.staff_list")),
    "settings/form.html": _settings,
    "audit/list.html": lambda v, viewer: _own(t("nav.audit")),
    "settings/billing.html": lambda v, viewer: [_home(), Link(t("nav.settings"), "/settings"),
                                                Link(t("nav.billing"), "")],
    "invoices/list.html": lambda v, viewer: _own(t("nav.invoices")),
    "invoices/own.html": lambda v, viewer: _own(t("nav.invoices")),
    "invoices/company.html": lambda v, viewer: [_home(), _clients(), _company(v["company"]),
                                                Link(t("nav.invoices"), "")],
    "invoices/show.html": _invoice,
    "settings/chat.html": lambda v, viewer: [_home(), _chat_parent(viewer), Link(t("nav.chat"), "")],
    "settings/chat_show.html": lambda v, viewer: [_home(), _chat_parent(viewer), Link(t("nav.chat"), "/settings/chat"),
                                                  Link(v["destination"].name, "")],
    "settings/urgency.html": lambda v, viewer: [_home(), Link(t("nav.settings"), "/settings"),
                                                Link(t("nav.urgency"), "")],
}


def trail(template: str, values: Values, viewer) -> list[Link]:
    """The page's breadcrumb trail (empty for a top page, an error page or one not in the table)."""
    build = TRAILS.get(template)
    if build is None or (viewer is None and not template.startswith("auth/")):
        return []
    return build(values, viewer)


def menu(viewer, route: str, trail_links: list[Link]) -> list[Link]:
    """The side's menu for ``viewer``, with the page's own entry (route) or its section (the
    deepest parent in the trail that is an entry) marked."""
    entries = AGENCY_MENU if viewer.is_agency else CLIENT_MENU
    shown = [(t(key), href) for key, href, action in entries if action is None or permissions.can(viewer, action)]
    hrefs = {href for _, href in shown}
    section = next((link.href for link in reversed(trail_links[:-1]) if link.href in hrefs), None)
    if route in hrefs:
        section = None
    return [Link(label, href, "page" if href == route else "true" if href == section else None)
            for label, href in shown]


def for_page(template: str, values: Values, signed_in, agency, route: str) -> Navigation:
    """The menu and the trail of the page ``template`` rendered with ``values`` at ``route`` (the
    route's pattern, e.g. /clients/{company_id}), for the signed-in account (or None)."""
    viewer = signed_in.user if signed_in is not None else None
    links = trail(template, {**values, "agency": agency}, viewer)
    if viewer is None or viewer.must_change_password:
        return Navigation(menu=[], trail=links if viewer is None else [])
    return Navigation(menu=menu(viewer, route, links), trail=links)
