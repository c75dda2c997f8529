"""AWS failing under the app: throttling, errors and lost connections injected at the emulator's
HTTP level (localdev.emulator.FAULTS), so botocore's retries and the app's reports run for real.

Promise: what a user submitted (a new request, a comment) is stored exactly once and shown, or
refused with a clear message and the form as it was typed; sending the same form again after a
failure never stores a second copy. (SES failures: test_notifications.py and test_accounts.py.)
"""
from __future__ import annotations

import json
import uuid

import boto3
import pytest

from chalicelib.adapters import aws
from chalicelib.messages import t
from chalicelib.models.base import Item
from localdev.emulator import FAULTS
from tests.support.agent import Agent
from tests.support.factories import PASSWORD, make_client, make_company

WRITE = ("dynamodb", "TransactWriteItems")
pytestmark = pytest.mark.usefixtures("no_faults")


@pytest.fixture
def member(aws):
    return make_client(make_company("障害テスト社"))


@pytest.fixture
def agent(client, member):
    web = Agent(client)
    web.login(member.user_id, PASSWORD)
    return web


def _send(agent, action: str, typed: dict, page=None):
    """Submit the form for ``action`` on ``page`` (default: the last page) as a browser does:
    its hidden fields (CSRF token, the one-time submission key) with what the user typed."""
    from tests.support.pages import forms
    form = next(f for f in forms(agent.text(page or agent.last)) if f.action == action)
    data = {name: value for name, value in form.data()}
    data.update(typed)
    return agent.post(action, data, token="")


def _requests_titled(agent, title: str) -> list[dict]:
    listing = json.loads(agent.get("/api/requests").body)["requests"]
    return [r for r in listing if r["title"] == title]


def _file(agent, title: str, body: str = "本文です"):
    agent.get("/requests/new")
    return _send(agent, "/requests", {"title": title, "body": body})


def test_the_emulator_answers_dynamodb_faults_as_dynamodb_does(aws):
    """The injected error is DynamoDB's own (JSON 1.0 body, __type), so botocore retries it as it would."""
    from botocore.config import Config
    from botocore.exceptions import ClientError
    dynamodb = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    FAULTS.fail("dynamodb", "DescribeTable", "ProvisionedThroughputExceededException", times=1)
    with pytest.raises(ClientError) as refused:
        dynamodb.describe_table(TableName=Item.Meta.table_name)
    assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert dynamodb.describe_table(TableName=Item.Meta.table_name)["Table"]["TableName"]


def test_a_throttled_new_request_is_retried_and_stored_once(agent):
    FAULTS.fail(*WRITE, "ProvisionedThroughputExceededException", times=2)
    response = _file(agent, "混雑時の依頼")
    assert FAULTS.hits[WRITE] == 2  # botocore backed off and tried again
    assert response.status_code == 303
    page = agent.text(agent.get(response.headers["location"]))
    assert "混雑時の依頼" in page and t("request.created") in page
    assert len(_requests_titled(agent, "混雑時の依頼")) == 1


def test_a_lost_answer_after_the_write_stores_the_request_once(agent):
    """The transaction is carried out but its answer never arrives (a timeout): botocore sends it
    again, which must neither file a second request nor turn the success into an error."""
    FAULTS.drop(*WRITE, after=True, times=1)
    response = _file(agent, "応答が消えた依頼")
    assert FAULTS.hits[WRITE] == 1
    assert response.status_code == 303, agent.text(response)[:300]
    assert "応答が消えた依頼" in agent.text(agent.get(response.headers["location"]))
    assert len(_requests_titled(agent, "応答が消えた依頼")) == 1


def test_dynamodb_down_keeps_the_form_and_sending_again_files_once(agent):
    """DynamoDB keeps failing past botocore's retries: the form comes back as typed with the
    message; once it recovers, sending the same form again files it once."""
    FAULTS.fail(*WRITE, "InternalServerError", status=500)
    refused = _file(agent, "障害中の依頼", "障害中に書いた本文")
    assert refused.status_code == 503
    page = agent.text(refused)
    assert t("service.unavailable_form") in page
    assert 'value="障害中の依頼"' in page and "障害中に書いた本文</textarea>" in page
    assert FAULTS.hits[WRITE] == 6  # the first try and PynamoDB's five retries
    FAULTS.clear()
    again = _send(agent, "/requests", {}, page=refused)  # the kept form, sent as it came back
    assert again.status_code == 303
    twice = _send(agent, "/requests", {}, page=refused)  # and once more (back button, send)
    assert twice.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    assert len(_requests_titled(agent, "障害中の依頼")) == 1


def test_the_same_new_request_form_sent_twice_files_it_once(agent):
    """A double click, or the back button and send again: one request, and both land on it."""
    form_page = agent.get("/requests/new")
    first = _send(agent, "/requests", {"title": "二度押しの依頼", "body": "本文"}, page=form_page)
    second = _send(agent, "/requests", {"title": "二度押しの依頼", "body": "本文"}, page=form_page)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    assert len(_requests_titled(agent, "二度押しの依頼")) == 1


def _comments(agent, request_path: str, text: str) -> list[dict]:
    thread = json.loads(agent.get("/api" + request_path).body)["thread"]
    return [e for e in thread if e["kind"] == "comment" and e["body"] == text]


def test_comments_survive_throttling_lost_answers_and_a_second_send(agent):
    created = _file(agent, "コメント障害の依頼")
    path = created.headers["location"].split("?")[0]

    FAULTS.fail(*WRITE, "ThrottlingException", times=1)
    agent.get(path + "/comment")
    assert _send(agent, path + "/comments", {"body": "混雑時のコメント"}).status_code == 303
    assert len(_comments(agent, path, "混雑時のコメント")) == 1

    FAULTS.drop(*WRITE, after=True, times=1)
    agent.get(path + "/comment")
    assert _send(agent, path + "/comments", {"body": "応答が消えたコメント"}).status_code == 303
    assert len(_comments(agent, path, "応答が消えたコメント")) == 1

    FAULTS.fail(*WRITE, "InternalServerError", status=500)
    agent.get(path + "/comment")
    refused = _send(agent, path + "/comments", {"body": "障害中のコメント"})
    assert refused.status_code == 503
    assert t("service.unavailable_form") in agent.text(refused) and "障害中のコメント</textarea>" in agent.text(refused)
    FAULTS.clear()
    assert _send(agent, path + "/comments", {}, page=refused).status_code == 303  # the kept form
    assert _send(agent, path + "/comments", {}, page=refused).status_code == 303  # and again
    assert len(_comments(agent, path, "障害中のコメント")) == 1


def test_the_api_reports_dynamodb_down_as_503_and_a_resend_with_the_key_stores_once(agent):
    created = _file(agent, "API障害の依頼")
    path = created.headers["location"].split("?")[0]
    token = json.loads(agent.get("/api/session").body)["csrf_token"]
    headers = agent._headers({"Content-Type": "application/json", "X-CSRF-Token": token})
    body = json.dumps({"body": "APIのコメント", "submission_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ"})
    FAULTS.fail(*WRITE, "InternalServerError", status=500)
    refused = agent.client.http.post(f"/api{path}/comments", headers=headers, body=body)
    assert refused.status_code == 503 and json.loads(refused.body)["message"] == t("service.unavailable")
    FAULTS.clear()
    first = agent.client.http.post(f"/api{path}/comments", headers=headers, body=body)
    second = agent.client.http.post(f"/api{path}/comments", headers=headers, body=body)
    assert first.status_code == second.status_code == 201
    assert json.loads(first.body)["entry"]["id"] == json.loads(second.body)["entry"]["id"]
    assert len(_comments(agent, path, "APIのコメント")) == 1


def test_a_dropped_connection_before_the_write_is_retried(agent):
    FAULTS.drop(*WRITE, times=2)
    response = _file(agent, "接続が切れた依頼")
    assert response.status_code == 303 and FAULTS.hits[WRITE] == 2
    assert len(_requests_titled(agent, "接続が切れた依頼")) == 1


@pytest.fixture
def client_admin_agent(client, aws):
    company = make_company("障害アカウント社")
    admin = make_client(company, role="client_admin")
    web = Agent(client)
    web.login(admin.user_id, PASSWORD)
    return web


def test_an_account_registered_while_ses_fails_is_stored_once_and_says_the_mail_failed(client_admin_agent):
    """SES refusing the guidance mail (past botocore's retries) must neither lose the account nor
    hide that its mail did not go: the page says so and 案内メールを再送 can send it later."""
    from chalicelib.models.users import User
    web = client_admin_agent
    user_id = f"sesfail{uuid.uuid4().hex[:8]}"
    FAULTS.fail("ses", "SendRawEmail", "Throttling")
    web.get("/accounts/new")
    response = _send(web, "/accounts", {"user_id": user_id, "name": "山田 花子", "kana": "ヤマダ ハナコ",
                                        "phone": "03-1234-5678", "email": f"{user_id}@example.com"})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=created_mail_failed")
    # botocore retried before the app reported it, but only as often as a waiting page allows
    # (five throttled attempts back off for about 20 s, past what API Gateway waits with the rest).
    assert FAULTS.hits[("ses", "SendRawEmail")] == aws.ATTEMPTS_IN_REQUEST < aws.ATTEMPTS
    assert t("account.created_mail_failed") in web.text(web.get(response.headers["location"]))
    assert User.find(user_id) is not None


def test_an_account_typed_while_dynamodb_is_down_is_kept_in_the_form(client_admin_agent):
    from chalicelib.models.users import User
    web = client_admin_agent
    user_id = f"dbdown{uuid.uuid4().hex[:8]}"
    FAULTS.fail("dynamodb", "PutItem", "InternalServerError", status=500)
    web.get("/accounts/new")
    typed = {"user_id": user_id, "name": "障害 次郎", "kana": "ショウガイ ジロウ", "phone": "03-1234-5678",
             "email": f"{user_id}@example.com"}
    refused = _send(web, "/accounts", typed)
    assert refused.status_code == 503
    page = web.text(refused)
    assert t("service.unavailable_form") in page and f'value="{user_id}"' in page and 'value="障害 次郎"' in page
    FAULTS.clear()
    assert User.find(user_id) is None  # nothing half-stored
    assert _send(web, "/accounts", {}, page=refused).status_code == 303  # the kept form, sent again
    assert User.find(user_id) is not None


def test_a_write_answered_past_the_read_timeout_is_retried_and_stored_once(agent):
    """DynamoDB answers after the client stopped waiting (a timeout); the late write still lands.
    botocore retries after PynamoDB's read timeout, and the request exists once."""
    from chalicelib.models.base import Item as Table
    FAULTS.delay(*WRITE, Table.Meta.read_timeout_seconds + 1, times=1)
    response = _file(agent, "遅れた応答の依頼")
    assert response.status_code == 303, agent.text(response)[:300]
    assert FAULTS.hits[WRITE] == 1
    assert len(_requests_titled(agent, "遅れた応答の依頼")) == 1


def _transaction(dynamodb, token: str, *writes: dict) -> dict:
    return dynamodb.transact_write_items(TransactItems=list(writes), ClientRequestToken=token)


def _count_up(key: dict) -> dict:
    return {"Update": {"TableName": Item.Meta.table_name, "Key": key, "UpdateExpression": "ADD #n :one",
                       "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":one": {"N": "1"}}}}


def test_the_emulator_answers_a_resent_transaction_token_as_dynamodb_does(aws):
    """The same ClientRequestToken within 10 minutes answers the first success without writing
    again; with other parameters it is refused; a new token is a new transaction."""
    from botocore.exceptions import ClientError
    dynamodb = boto3.client("dynamodb")
    key = {"PK": {"S": f"TOKEN#{uuid.uuid4().hex}"}, "SK": {"S": "COUNTER"}}
    token = str(uuid.uuid4())
    first = _transaction(dynamodb, token, _count_up(key))
    again = _transaction(dynamodb, token, _count_up(key))
    assert again["ResponseMetadata"]["HTTPStatusCode"] == first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert dynamodb.get_item(TableName=Item.Meta.table_name, Key=key, ConsistentRead=True)["Item"]["n"] == {"N": "1"}
    with pytest.raises(ClientError) as refused:
        _transaction(dynamodb, token, _count_up({**key, "SK": {"S": "OTHER"}}))
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    _transaction(dynamodb, str(uuid.uuid4()), _count_up(key))
    assert dynamodb.get_item(TableName=Item.Meta.table_name, Key=key, ConsistentRead=True)["Item"]["n"] == {"N": "2"}


def test_a_cancelled_transaction_in_the_emulator_leaves_every_item_as_it_was(aws):
    """The emulator undoes a cancelled transaction item by item (not by copying the table):
    a write before the refused one is undone, an item it created is gone, and its token is not
    kept, so the same call runs again once its condition holds."""
    from botocore.exceptions import ClientError
    dynamodb = boto3.client("dynamodb")
    table = Item.Meta.table_name
    partition = f"UNDO#{uuid.uuid4().hex}"
    counter, created, guard = ({"PK": {"S": partition}, "SK": {"S": name}} for name in ("COUNTER", "NEW", "GUARD"))
    _transaction(dynamodb, str(uuid.uuid4()), _count_up(counter))
    writes = (_count_up(counter), {"Put": {"TableName": table, "Item": {**created, "v": {"S": "x"}}}},
              {"ConditionCheck": {"TableName": table, "Key": guard, "ConditionExpression": "attribute_exists(PK)"}})
    token = str(uuid.uuid4())
    with pytest.raises(ClientError) as cancelled:
        _transaction(dynamodb, token, *writes)
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    stored = dynamodb.query(TableName=table, KeyConditionExpression="PK = :p", ConsistentRead=True,
                            ExpressionAttributeValues={":p": {"S": partition}})["Items"]
    assert [(i["SK"]["S"], i.get("n")) for i in stored] == [("COUNTER", {"N": "1"})]
    dynamodb.put_item(TableName=table, Item=guard)
    _transaction(dynamodb, token, *writes)
    assert dynamodb.get_item(TableName=table, Key=counter, ConsistentRead=True)["Item"]["n"] == {"N": "2"}
    assert dynamodb.get_item(TableName=table, Key=created, ConsistentRead=True)["Item"]["v"] == {"S": "x"}


def test_a_charge_and_a_comment_answered_late_succeed_once(agent, member):
    """A transaction carried out at once but answered after the read timeout (as a call queued
    behind a long one is): botocore sends it again with the same token. Completing a request
    that charges points must not report the false 「changed meanwhile」 its own first copy would
    cause, nor charge twice; a comment is stored once."""
    from chalicelib.models.points import Balance, LedgerEntry
    from chalicelib.models.users import AGENCY_STAFF
    from chalicelib.services import contracts, estimates, ledger, pointrules, requests, workflow
    from tests.support.factories import make_request, make_user

    admin, staff = make_user(name="管理 一郎"), make_user(role=AGENCY_STAFF, name="担当 次郎")
    company_id = member.company_id
    contracts.save_contract(admin, company_id, contracts.ContractForm(
        kind=pointrules.PREPAID_MONTHLY, points="100", carry_over=True, starts_on=ledger.today_jst().isoformat()))
    request = make_request(member, title="遅れた応答で完了する依頼")
    estimates.save_estimate(staff, request.request_id, [estimates.LineInput(name="作業", points="1.5")], version=0)

    FAULTS.delay(*WRITE, Item.Meta.read_timeout_seconds + 1, after=True, times=1)
    done = requests.update_request(staff, request.request_id, requests.RequestChanges(status=workflow.DONE), revision=0)
    assert FAULTS.hits[WRITE] == 1
    assert done.status == workflow.DONE and int(done.revision) == 1
    entries = LedgerEntry.latest(company_id, limit=100)
    assert [e.entry_kind for e in entries].count(pointrules.CHARGE) == 1
    assert int(Balance.load(company_id).tenths) == 1000 - 15 == sum(int(e.delta_tenths) for e in entries)

    path = f"/requests/{request.request_id}"
    FAULTS.delay(*WRITE, Item.Meta.read_timeout_seconds + 1, after=True, times=1)
    agent.get(path + "/comment")
    assert _send(agent, path + "/comments", {"body": "遅れた応答のコメント"}).status_code == 303
    assert FAULTS.hits[WRITE] == 2
    assert len(_comments(agent, path, "遅れた応答のコメント")) == 1
