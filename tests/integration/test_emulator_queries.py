"""The emulator's Query reads only what can match (localdev.emulator._queries_read_their_partition),
and answers exactly as moto does without that change: same items, same order, same pages.

Each query below runs twice over HTTP on the same table, once as patched and once with moto's own
``Table.query``, and every page of both answers must be equal. The table mixes partitions,
items without the index's keys, index sort keys that tie (moto breaks ties by the table's key)
and both directions, limits, key conditions and filters.
"""
from __future__ import annotations

import random
import uuid

import boto3
import pytest
from moto.dynamodb.models.table import Table

S = {"AttributeType": "S"}


def _create_table(dynamodb, name: str) -> None:
    """A table keyed PK/SK with one index, GIX, keyed GPK/GSK (every attribute projected)."""
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, **S} for a in ("PK", "SK", "GPK", "GSK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "GIX", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "GPK", "KeyType": "HASH"}, {"AttributeName": "GSK", "KeyType": "RANGE"}],
        }])


@pytest.fixture(scope="module")
def table(aws):
    dynamodb = boto3.client("dynamodb")
    name = f"emulator-queries-{uuid.uuid4().hex[:8]}"
    _create_table(dynamodb, name)
    chosen = random.Random(18)
    for number in range(400):
        item = {"PK": {"S": f"P#{number % 12}"}, "SK": {"S": f"{chosen.randrange(500):03d}#{number}"},
                "n": {"N": str(number)}}
        if number % 3:  # a third of the items are not in the index
            item["GPK"] = {"S": f"G#{number % 5}"}
            item["GSK"] = {"S": f"{chosen.randrange(40):02d}"}  # ties, broken by PK and SK
        dynamodb.put_item(TableName=name, Item=item)
    yield dynamodb, name
    dynamodb.delete_table(TableName=name)


QUERIES = [
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}},
     "ScanIndexForward": False, "Limit": 4},
    {"KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
     "ExpressionAttributeValues": {":p": {"S": "P#7"}, ":s": {"S": "1"}}, "Limit": 3},
    {"KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b", "FilterExpression": "n > :n",
     "ExpressionAttributeValues": {":p": {"S": "P#0"}, ":a": {"S": "100"}, ":b": {"S": "400"}, ":n": {"N": "50"}},
     "Limit": 5},
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#nobody"}}},
    {"IndexName": "GIX", "KeyConditionExpression": "GPK = :g", "ExpressionAttributeValues": {":g": {"S": "G#2"}},
     "Limit": 7},
    {"IndexName": "GIX", "KeyConditionExpression": "GPK = :g AND GSK > :k", "ScanIndexForward": False,
     "ExpressionAttributeValues": {":g": {"S": "G#4"}, ":k": {"S": "20"}}, "Limit": 6},
    {"IndexName": "GIX", "KeyConditionExpression": "GPK = :g", "FilterExpression": "n < :n",
     "ExpressionAttributeValues": {":g": {"S": "G#1"}, ":n": {"N": "200"}}, "Limit": 9},
    {"IndexName": "GIX", "KeyConditionExpression": "GPK = :g", "ExpressionAttributeValues": {":g": {"S": "G#9"}}},
]


NOBODY = ({"S": "P#nobody"}, {"S": "G#9"})  # partitions no item is in


def _every_page(dynamodb, name: str, query: dict) -> list:
    pages, start = [], None
    while True:
        answer = dynamodb.query(TableName=name, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((answer["Items"], answer.get("LastEvaluatedKey")))
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query["KeyConditionExpression"])
def test_a_query_answers_every_page_as_moto_does(table, query, monkeypatch):
    dynamodb, name = table
    patched = _every_page(dynamodb, name, query)
    assert Table.query.reads_partition
    monkeypatch.setattr(Table, "query", Table.query.moto_query)
    assert _every_page(dynamodb, name, query) == patched
    finds_nothing = query["ExpressionAttributeValues"].get(":p", query["ExpressionAttributeValues"].get(":g")) in NOBODY
    assert any(items for items, _ in patched) != finds_nothing  # the comparison is never of two empty answers


def test_a_query_reads_its_partition_not_the_table(table, monkeypatch):
    """What moto's query walks: the partition's items (or the index partition's), not all 400."""
    dynamodb, name = table
    walked = []
    patched_all_items = Table.all_items

    def spy(self):
        items = patched_all_items(self)
        if self.name == name:  # not the app's table, which work left over from other tests may still read
            walked.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", spy)
    partition = dynamodb.query(TableName=name, **QUERIES[0])["Items"]
    in_index = dynamodb.query(TableName=name, IndexName="GIX", KeyConditionExpression="GPK = :g",
                              ExpressionAttributeValues={":g": {"S": "G#2"}})["Items"]
    assert walked == [len(partition), len(in_index)]
    assert 0 < len(partition) < 40 and 0 < len(in_index) < 60


def _in_index(dynamodb, name: str, partition: str) -> list[str]:
    answer = dynamodb.query(TableName=name, IndexName="GIX", KeyConditionExpression="GPK = :g",
                            ExpressionAttributeValues={":g": {"S": partition}})
    return sorted(item["n"]["N"] for item in answer["Items"])


def test_an_index_query_after_any_write_sees_it(aws):
    """The index groups kept between writes never outlive one: after a put, an update that moves
    an item to another index partition or out of the index, a delete and a transaction, each
    index query answers as moto's own does."""
    dynamodb = boto3.client("dynamodb")
    name = f"emulator-writes-{uuid.uuid4().hex[:8]}"
    _create_table(dynamodb, name)

    def item(number: int, partition: str) -> dict:
        return {"PK": {"S": f"P#{number}"}, "SK": {"S": "x"}, "n": {"N": str(number)},
                "GPK": {"S": partition}, "GSK": {"S": "s"}}

    def key(number: int) -> dict:
        return {"PK": {"S": f"P#{number}"}, "SK": {"S": "x"}}

    try:
        for number in range(3):
            dynamodb.put_item(TableName=name, Item=item(number, "A"))
        assert _in_index(dynamodb, name, "A") == ["0", "1", "2"] and _in_index(dynamodb, name, "B") == []
        dynamodb.put_item(TableName=name, Item=item(3, "B"))
        assert _in_index(dynamodb, name, "B") == ["3"]
        dynamodb.update_item(TableName=name, Key=key(0), UpdateExpression="SET GPK = :b",
                             ExpressionAttributeValues={":b": {"S": "B"}})
        assert _in_index(dynamodb, name, "A") == ["1", "2"] and _in_index(dynamodb, name, "B") == ["0", "3"]
        dynamodb.update_item(TableName=name, Key=key(1), UpdateExpression="REMOVE GPK")
        assert _in_index(dynamodb, name, "A") == ["2"]
        dynamodb.delete_item(TableName=name, Key=key(2))
        assert _in_index(dynamodb, name, "A") == []
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": item(4, "A")}},
            {"Update": {"TableName": name, "Key": key(3), "UpdateExpression": "SET GPK = :a",
                        "ExpressionAttributeValues": {":a": {"S": "A"}}}}])
        assert _in_index(dynamodb, name, "A") == ["3", "4"] and _in_index(dynamodb, name, "B") == ["0"]
        dynamodb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": key(4)}},
                                                       {"PutRequest": {"Item": item(5, "B")}}]})
        assert _in_index(dynamodb, name, "A") == ["3"] and _in_index(dynamodb, name, "B") == ["0", "5"]
    finally:
        dynamodb.delete_table(TableName=name)
