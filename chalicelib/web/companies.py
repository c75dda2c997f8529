"""クライアント管理: the agency's pages of one client company under /clients.

The company page (クライアント詳細) is built from several areas: the company's accounts, and its
contract, balance and ledger with the forms that change them (契約, チャージ, 調整). It lives here,
with every /clients route; the account form comes from web/accounts.py, the points labels and the
statement page from web/points.py.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.messages import t
from chalicelib.services import companies, contracts, ledger, listings, permissions, statements, workflow
from chalicelib.services import pointrules as r
from chalicelib.services.auth import SignedIn
from chalicelib.web import accounts as accounts_web
from chalicelib.web import points as points_web
from chalicelib.web.forms import FORM_CONTENT_TYPE, field, form, submit
from chalicelib.web.guards import signed_in_page
from chalicelib.web.responses import page, redirect

bp = Blueprint(__name__)

COMPANY_NOTICES = {"contract_saved": "contract.saved", "topped_up": "points.topped_up",
                   "adjusted": "points.adjusted", "created": "company.created",
                   "two_factor_saved": "company.two_factor_saved"}


# クライアント一覧 and 新規登録.

@bp.route("/clients", methods=["GET"])
@signed_in_page
def client_list(me: SignedIn):
    after = (bp.current_request.query_params or {}).get("after")
    rows, next_cursor = listings.company_rows(me.user, after=after)
    return page("clients/list.html", rows=rows, next_cursor=next_cursor, **points_web.labels(),
                can_create=permissions.can(me.user, permissions.COMPANY_CREATE))


@bp.route("/clients/new", methods=["GET"])
@signed_in_page
def client_new(me: SignedIn):
    permissions.authorize(me.user, permissions.COMPANY_CREATE, agency_target=True)
    return page("clients/form.html", name="", errors={})


@bp.route("/clients", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def client_create(me: SignedIn):
    name = field("name")
    return submit(lambda: companies.create_company(me.user, name=name),
                  done=lambda company: redirect(f"/clients/{company.company_id}?notice=created"),
                  refuse=lambda status, errors: page("clients/form.html", status=status, name=name, errors=errors),
                  conflict=False)


@bp.route("/clients/{company_id}", methods=["GET"])
@signed_in_page
def client_detail(me: SignedIn, company_id: str):
    return company_page(me, company_id)


@bp.route("/clients/{company_id}/accounts/new", methods=["GET"])
@signed_in_page
def client_account_new(me: SignedIn, company_id: str):
    view = companies.company_page(me.user, company_id)
    permissions.authorize(me.user, permissions.ACCOUNT_CREATE, company_id=company_id)
    return accounts_web.account_form(action=f"/clients/{company_id}/accounts", heading=t("account.heading_new"),
                                     back=f"/clients/{company_id}", company=view.company)


@bp.route("/clients/{company_id}/accounts", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def client_account_create(me: SignedIn, company_id: str):
    view = companies.company_page(me.user, company_id)
    return accounts_web.register(me, company_id=company_id, action=f"/clients/{company_id}/accounts",
                                 heading=t("account.heading_new"), back=f"/clients/{company_id}", company=view.company)


# クライアント詳細: accounts, 契約, 残りポイント and the forms that change them.

def company_page(me: SignedIn, company_id: str, *, status: int = 200, errors: dict | None = None,
                 typed: dict | None = None):
    """クライアント詳細: the accounts, and the contract, balance, ledger and the forms to change them."""
    view = companies.company_page(me.user, company_id,
                                  accounts_after=(bp.current_request.query_params or {}).get("after"))
    summary = statements.summary(me.user, company_id, balance=view.balance,
                                 contract=view.contracts[0] if view.contracts else None)
    notice = COMPANY_NOTICES.get((bp.current_request.query_params or {}).get("notice", ""))
    current = summary.contract
    contract_form = typed.get("contract") if typed and "contract" in typed else (
        contracts.ContractForm(kind=current.contract_type, points=r.format_points(current.points_tenths).replace(",", ""),
                            carry_over=current.carry_over, unit_price=str(int(current.unit_price or 0) or ""),
                            monthly_fee=str(int(current.monthly_fee or 0) or ""),
                            approval_required=current.approval_required, starts_on=current.starts_on,
                            ends_on=current.ends_on or "") if current else contracts.ContractForm())
    return page("clients/detail.html", status=status, company=view.company, accounts=view.accounts,
                next_page=accounts_web.next_page(f"/clients/{company_id}", view.accounts_cursor),
                notice=t(notice) if notice else None,
                can_create=permissions.can(me.user, permissions.ACCOUNT_CREATE),
                can_edit_contract=permissions.can(me.user, permissions.CONTRACT_EDIT),
                can_invoice=permissions.can(me.user, permissions.INVOICE_MANAGE),
                can_require_two_factor=permissions.can(me.user, permissions.SETTINGS_EDIT),
                summary=summary, ledger=ledger.ledger(me.user, company_id, limit=10),
                listed=listings.company_open_requests(me.user, company_id), W=workflow, labels=workflow.LABELS,
                history=view.contracts, contract_form=contract_form,
                typed=(typed or {}).get("fields", {}), errors=errors or {}, month=summary.month, **points_web.labels())


@bp.route("/clients/{company_id}/contract", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def contract_save(me: SignedIn, company_id: str):
    contract_form = contracts.ContractForm(
        kind=field("kind"), points=field("points"), carry_over=field("carry_over") == "1",
        unit_price=field("unit_price"), monthly_fee=field("monthly_fee"), approval_required=field("approval_required") == "1",
        starts_on=field("starts_on"), ends_on=field("ends_on"), note=field("note", strip=False))
    return submit(lambda: contracts.save_contract(me.user, company_id, contract_form),
                  done=lambda _: redirect(f"/clients/{company_id}?notice=contract_saved#contract-title"),
                  refuse=lambda status, errors: company_page(me, company_id, status=status, errors=errors,
                                                             typed={"contract": contract_form}))


@bp.route("/clients/{company_id}/two-factor", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def two_factor_save(me: SignedIn, company_id: str):
    companies.set_company_two_factor(me.user, company_id, required=field("require_two_factor") == "1")
    return redirect(f"/clients/{company_id}?notice=two_factor_saved#accounts-title")


@bp.route("/clients/{company_id}/topup", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def topup(me: SignedIn, company_id: str):
    return submit(lambda: ledger.top_up(me.user, company_id, points=field("topup_points"),
                                        price=field("topup_price"), note=field("topup_note", strip=False)),
                  done=lambda _: redirect(f"/clients/{company_id}?notice=topped_up#balance-title"),
                  refuse=lambda status, errors: _balance_refused(me, company_id, status, errors))


@bp.route("/clients/{company_id}/adjust", methods=["POST"], content_types=[FORM_CONTENT_TYPE])
@signed_in_page
def adjust(me: SignedIn, company_id: str):
    return submit(lambda: ledger.adjust(me.user, company_id, points=field("adjust_points"),
                                        note=field("adjust_note", strip=False)),
                  done=lambda _: redirect(f"/clients/{company_id}?notice=adjusted#balance-title"),
                  refuse=lambda status, errors: _balance_refused(me, company_id, status, errors))


def _balance_refused(me: SignedIn, company_id: str, status: int, errors: dict):
    return company_page(me, company_id, status=status, errors=errors, typed={"fields": dict(form())})


# 月次明細 of one company (the agency's view).

@bp.route("/clients/{company_id}/statement", methods=["GET"])
@signed_in_page
def company_statement(me: SignedIn, company_id: str):
    # /clients/ is the agency's; a client reads its own statement at /points/statement.
    permissions.authorize(me.user, permissions.COMPANY_VIEW, company_id=company_id)
    return points_web.statement_page(me, company_id, f"/clients/{company_id}/statement")


@bp.route("/clients/{company_id}/statement.csv", methods=["GET"])
@signed_in_page
def company_statement_csv(me: SignedIn, company_id: str):
    permissions.authorize(me.user, permissions.COMPANY_VIEW, company_id=company_id)
    return points_web.csv_or_400(me, company_id, f"/clients/{company_id}/statement")
