"""The single table every Irai item lives in.

One table, keys `PK`/`SK` and one index `GSI1`, as defined in infra/template.yaml. Each item
carries a `type` discriminator so a query over one partition returns typed models. Keys are
computed by the models themselves; callers never build key strings.
"""
from __future__ import annotations

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import config


class _LazyTableName:
    """Resolves the table name when PynamoDB first asks for it, not at import time."""

    def __get__(self, instance, owner) -> str:
        return config.table_name()


class GSI1(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class Item(Model):
    """Base of every item in the table; subclasses set their discriminator value."""

    class Meta:
        table_name = _LazyTableName()
        # botocore reads AWS_ENDPOINT_URL and the region from the environment, so the same code
        # talks to AWS or to the local emulator. Retries use botocore's standard mode.
        max_retry_attempts = 5

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    kind = DiscriminatorAttribute(attr_name="type")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")

    gsi1 = GSI1()
