"""What a monitoring probe may learn: whether the app can reach its table. Nothing else."""
from __future__ import annotations

import logging

from pynamodb.exceptions import PynamoDBException

from chalicelib.models.agency import AgencySettings

log = logging.getLogger(__name__)


def table_reachable() -> bool:
    """One GetItem on the agency's settings (an item every page reads anyway); False, and an
    error logged for the alarm, when DynamoDB does not answer after botocore's retries."""
    try:
        AgencySettings.load()
    except PynamoDBException as error:
        log.error("health check: table unreachable", extra={"error": type(error.cause).__name__ if error.cause else type(error).__name__})
        return False
    return True
