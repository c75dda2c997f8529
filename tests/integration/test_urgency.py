"""特急料金・休業日 (the agency admin's page), urgency_for and the live hint's JSON route, against the emulator."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import jsonschema
import pytest

from chalicelib.models.urgency import UrgencySettings
from chalicelib.models.users import AGENCY_STAFF, CLIENT_ADMIN
from chalicelib.services import urgency
from chalicelib.services.urgency import Urgency
from chalicelib.web.openapi import DOCUMENT
from tests.support.accounts import signed_in
from tests.support.agent import Agent
from tests.support.dates import business_days_ahead
from tests.support.factories import make_client, make_company, make_user

D = date.fromisoformat
pytestmark = pytest.mark.usefixtures("no_urgency_rules")  # each test starts from an agency that set nothing


@pytest.fixture
def admin():
    return make_user(name="代理店 管理者")


@pytest.fixture
def requester():
    return make_client(make_company("株式会社はやて"), role=CLIENT_ADMIN, name="早手 花子")


def save(agent: Agent, fields: dict, *, version: str | None = None):
    page = agent.text(agent.get("/settings/urgency"))
    if version is None:
        version = re.search(r'name="version" value="(\d*)"', page).group(1)
    return agent.post("/settings/urgency", {"version": version, **fields})


def set_rules(admin, rules: list[tuple[str, str]], closed: list[tuple[str, str, str]] = ()) -> None:
    form = urgency.UrgencyForm(rules=[urgency.RuleRow(*rule) for rule in rules],
                               closed=[urgency.ClosedRow(*period) for period in closed])
    urgency.update_settings(admin, form, version=UrgencySettings.load().version)


class DynamoDBCalls:
    """Counts the DynamoDB operations UrgencySettings sends (each PynamoDB model has its own client)."""

    def __init__(self):
        self.operations: dict[str, int] = {}
        self._events = UrgencySettings._get_connection().connection.client.meta.events

    def _count(self, model, **_):
        self.operations[model.name] = self.operations.get(model.name, 0) + 1

    def __enter__(self):
        self._events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc):
        self._events.unregister("before-call.dynamodb", self._count)


def error_of(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="field__error" id="{name}-error">([^<]*)</p>', page)
    return match.group(1) if match else None


# The page

def test_the_agency_dashboard_links_the_page_and_it_explains_itself(client, admin):
    agent = signed_in(client, admin)
    assert 'href="/settings/urgency">特急料金・休業日</a>' in agent.text(agent.get("/"))
    page = agent.text(agent.get("/settings/urgency"))
    for label in ("特急料金・休業日", "営業日数", "営業日以内", "倍率", "休業日", "開始日", "終了日", "名称", "保存する",
                  "国民の祝日"):
        assert label in page
    # The public holidays of the coming year are listed as already excluded.
    new_year = date(urgency.today_in_japan().year + 1, 1, 1)
    weekday = "月火水木金土日"[new_year.weekday()]
    assert f'<time datetime="{new_year.isoformat()}">{new_year:%Y/%m/%d}({weekday})</time> 元日' in page
    # Two blank rule rows and three blank closed rows to fill without JavaScript.
    assert 'name="rule_days_1"' in page and 'name="rule_days_2"' not in page
    assert 'name="closed_first_2"' in page and 'name="closed_first_3"' not in page


def test_saving_rules_and_closed_days_stores_them_normalised_and_sorted(client, admin):
    agent = signed_in(client, admin)
    response = save(agent, {
        "rule_days_0": "５", "rule_multiplier_0": "1.50",      # full-width digits, a trailing zero
        "rule_days_1": "2営業日", "rule_multiplier_1": "×2",
        "closed_first_0": "2027/08/12", "closed_last_0": "2027-08-16", "closed_name_0": "夏季休業",
        "closed_first_1": "2026-12-29", "closed_last_1": "2027-01-04", "closed_name_1": "年末年始",
        "closed_first_2": "2026-12-15", "closed_last_2": "", "closed_name_2": "",
    })
    assert response.status_code == 303 and response.headers["location"] == "/settings/urgency?notice=saved"
    stored = UrgencySettings.load()
    assert [(int(rule.within_days), rule.multiplier) for rule in stored.rules] == [(2, "2.0"), (5, "1.5")]
    assert [(p.first, p.last, p.name) for p in stored.closed] == [
        ("2026-12-15", "2026-12-15", ""), ("2026-12-29", "2027-01-04", "年末年始"), ("2027-08-12", "2027-08-16", "夏季休業")]
    page = agent.text(agent.get(response.headers["location"]))
    assert "特急料金・休業日を保存しました。" in page
    assert 'name="rule_days_0" aria-describedby="rules-help" type="text" inputmode="numeric"\n                 value="2"' in page
    assert 'value="2.0"' in page and 'value="1.5"' in page and 'value="年末年始"' in page
    # A single closed day shows with an empty end date; spare rows follow the stored ones.
    assert re.search(r'name="closed_last_0"[^>]*value=""', page)
    assert 'name="rule_days_3"' in page and 'name="closed_first_5"' in page


def test_clearing_a_row_deletes_it(client, admin):
    set_rules(admin, [("2", "2.0"), ("5", "1.5")], [("2026-12-29", "2027-01-04", "年末年始")])
    agent = signed_in(client, admin)
    response = save(agent, {"rule_days_0": "", "rule_multiplier_0": "", "rule_days_1": "5", "rule_multiplier_1": "1.5"})
    assert response.status_code == 303
    stored = UrgencySettings.load()
    assert [int(rule.within_days) for rule in stored.rules] == [5] and list(stored.closed) == []


@pytest.mark.parametrize("fields,field,message", [
    ({"rule_days_0": "", "rule_multiplier_0": "1.5"}, "rule_days_0", "入力してください。"),
    ({"rule_days_0": "3", "rule_multiplier_0": ""}, "rule_multiplier_0", "入力してください。"),
    ({"rule_days_0": "三", "rule_multiplier_0": "1.5"}, "rule_days_0", "1から60までの半角数字"),
    ({"rule_days_0": "0", "rule_multiplier_0": "1.5"}, "rule_days_0", "1から60までの半角数字"),
    ({"rule_days_0": "61", "rule_multiplier_0": "1.5"}, "rule_days_0", "1から60までの半角数字"),
    ({"rule_days_0": "3", "rule_multiplier_0": "1"}, "rule_multiplier_0", "1より大きく10以下"),
    ({"rule_days_0": "3", "rule_multiplier_0": "0.8"}, "rule_multiplier_0", "1より大きく10以下"),
    ({"rule_days_0": "3", "rule_multiplier_0": "11"}, "rule_multiplier_0", "1より大きく10以下"),
    ({"rule_days_0": "3", "rule_multiplier_0": "1.255"}, "rule_multiplier_0", "小数は第2位まで"),
    ({"rule_days_0": "3", "rule_multiplier_0": "NaN"}, "rule_multiplier_0", "1より大きく10以下"),
    ({"rule_days_0": "3", "rule_multiplier_0": "二倍"}, "rule_multiplier_0", "1より大きく10以下"),
    ({"rule_days_0": "3", "rule_multiplier_0": "2", "rule_days_1": "3", "rule_multiplier_1": "1.5"},
     "rule_days_1", "3営業日以内の条件が重複しています"),
    # A longer lead time must cost less: 5 days at ×2.0 after 2 days at ×1.5 is refused.
    ({"rule_days_0": "2", "rule_multiplier_0": "1.5", "rule_days_1": "5", "rule_multiplier_1": "2"},
     "rule_multiplier_1", "日数が長い条件ほど倍率を低く"),
    ({"closed_first_0": "", "closed_name_0": "夏季休業"}, "closed_first_0", "入力してください。"),
    ({"closed_first_0": "2027-02-30"}, "closed_first_0", "日付を正しく入力してください"),
    ({"closed_first_0": "2027-08-16", "closed_last_0": "2027-08-12"}, "closed_last_0", "開始日と同じか"),
    ({"closed_first_0": "2027-01-01", "closed_last_0": "2028-01-02"}, "closed_last_0", "366日以内"),
    ({"closed_first_0": "2027-01-01", "closed_name_0": "長" * 31}, "closed_name_0", "30文字以内"),
])
def test_each_mistake_is_shown_at_its_field_and_keeps_the_input(client, admin, fields, field, message):
    set_rules(admin, [("4", "1.2")])
    agent = signed_in(client, admin)
    response = save(agent, fields)
    page = agent.text(response)
    assert response.status_code == 400
    assert message in (error_of(page, field) or "")
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    for name, value in fields.items():       # everything typed is still there, escaped
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page), name
    assert [(int(rule.within_days), rule.multiplier) for rule in UrgencySettings.load().rules] == [(4, "1.2")]


def test_a_save_over_someone_elses_is_refused(client, admin):
    """Two admins editing at once: the later save must not silently undo the earlier one."""
    agent = signed_in(client, admin)
    stale = re.search(r'name="version" value="(\d*)"', agent.text(agent.get("/settings/urgency"))).group(1)
    set_rules(admin, [("2", "2.0")])
    response = save(agent, {"rule_days_0": "5", "rule_multiplier_0": "1.5"}, version=stale)
    page = agent.text(response)
    assert response.status_code == 409 and "ほかの人が先に変更しました" in page
    assert re.search(r'name="rule_days_0"[^>]*value="5"', page)
    assert [int(rule.within_days) for rule in UrgencySettings.load().rules] == [2]


def test_only_the_agency_admin_changes_the_rules(client, admin):
    staff = signed_in(client, make_user(role=AGENCY_STAFF))
    assert 'href="/settings/urgency"' not in staff.text(staff.get("/"))
    assert staff.get("/settings/urgency").status_code == 403
    assert staff.post("/settings/urgency", {"rule_days_0": "1", "rule_multiplier_0": "3"}).status_code == 403
    agent = signed_in(client, admin)
    agent.get("/settings/urgency")
    refused = agent.post("/settings/urgency", {"rule_days_0": "1", "rule_multiplier_0": "3"}, token="forged")
    assert refused.status_code == 403
    assert list(UrgencySettings.load().rules) == []


# urgency_for, the interface the estimate uses

def test_urgency_for_applies_the_stored_rules_and_closed_days_with_one_get(admin):
    set_rules(admin, [("2", "2.0"), ("5", "1.5")], [("2026-12-29", "2027-01-04", "年末年始")])
    filed = D("2026-12-25")                                   # Friday
    with DynamoDBCalls() as calls:
        near = urgency.urgency_for(D("2026-12-28"), filed_on=filed)
    assert dict(calls.operations) == {"GetItem": 1}
    assert near == Urgency(lead_days=1, multiplier=Decimal("2.0"), label="特急(2営業日以内) ×2.0")
    # 12/28, then the closed days, then 1/5, 1/6 and 1/7: four business days.
    assert urgency.urgency_for(D("2027-01-07"), filed_on=filed) == Urgency(4, Decimal("1.5"), "特急(5営業日以内) ×1.5")
    assert urgency.urgency_for(D("2027-01-12"), filed_on=filed) == Urgency(6, Decimal("1"), "")


def test_urgency_for_without_a_date_or_rules(admin):
    with DynamoDBCalls() as calls:
        assert urgency.urgency_for(None, filed_on=D("2026-12-01")) == Urgency(None, Decimal("1"), "")
    assert calls.operations == {}
    assert urgency.urgency_for(D("2026-12-02"), filed_on=D("2026-12-01")) == Urgency(1, Decimal("1"), "")


# GET /api/urgency, the live hint on 新規依頼

def _check(response) -> dict:
    body = json.loads(response.body)
    operation = DOCUMENT["paths"]["/api/urgency"]["get"]
    schema = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": DOCUMENT["components"]})
    return body


def _ask(agent: Agent, due: str):
    return agent.client.http.get(f"/api/urgency?due={due}", headers=agent._headers())


def test_the_hint_names_the_lead_time_and_the_multiplier(client, admin, requester):
    set_rules(admin, [("2", "2.0"), ("5", "1.5")])
    agent = signed_in(client, requester)
    three = business_days_ahead(3)
    body = _check(_ask(agent, three.isoformat()))
    assert body == {"due": three.isoformat(), "lead_days": 3, "multiplier": "1.5", "label": "特急(5営業日以内) ×1.5",
                    "message": "公開希望日まで3営業日: 特急料金 ×1.5 が適用されます"}
    slashes = _check(_ask(agent, business_days_ahead(1).isoformat().replace("-", "/")))
    assert slashes["lead_days"] == 1 and slashes["multiplier"] == "2.0"
    far = _check(_ask(agent, business_days_ahead(8).isoformat()))
    assert far["label"] == "" and far["multiplier"] == "1.0"
    assert far["message"] == "公開希望日まで8営業日: 特急料金はかかりません"


def test_the_hint_refuses_what_the_form_refuses(client, requester):
    agent = signed_in(client, requester)
    past = _check(_ask(agent, (urgency.today_in_japan() - timedelta(days=1)).isoformat()))
    assert past["errors"] == {"due_date": "公開希望日には今日以降の日付を指定してください。"}
    for wrong in ("2026-02-30", "tomorrow", ""):
        assert _check(_ask(agent, wrong))["errors"] == {"due_date": "日付を正しく入力してください(例: 2026-12-24)。"}


def test_the_hint_is_for_clients_filing_requests(client, admin):
    """Threat: none to data (the rules are shown to every client on purpose); the route only
    serves those who file requests, and nobody signed out."""
    tomorrow = (urgency.today_in_japan() + timedelta(days=1)).isoformat()
    assert _check(client.http.get(f"/api/urgency?due={tomorrow}")).get("message") == "ログインしてください。"
    assert _check(_ask(signed_in(client, admin), tomorrow))["message"] == "この操作は許可されていません。"


def test_a_refused_new_request_form_shows_the_hint_without_javascript(client, admin, requester):
    set_rules(admin, [("2", "2.0")])
    agent = signed_in(client, requester)
    agent.get("/requests/new")
    due = business_days_ahead(2).isoformat()
    page = agent.text(agent.post("/requests", {"due_date": due, "title": "", "body": "本文"}))
    assert re.search(r'<p class="urgency-hint is-applied" id="due_date-urgency" aria-live="polite">'
                     r'公開希望日まで2営業日: 特急料金 ×2.0 が適用されます</p>', page)
    assert "お約束ではありません" in page
    empty = agent.text(agent.get("/requests/new"))
    assert '<p class="urgency-hint" id="due_date-urgency" aria-live="polite"></p>' in empty
