"""The mail sender (every minute) and SES feedback (bounces and complaints through SNS)."""
from __future__ import annotations

import json
import logging

from chalice import Blueprint, Rate

from chalicelib.adapters import config
from chalicelib.services import auth, notifications

bp = Blueprint(__name__)
log = logging.getLogger(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="deliver_mail")
def deliver_mail(event) -> dict:
    """Send what is due in the outbox. Runs may overlap or repeat: each mail is claimed first."""
    # Password-reset links are queued too, so the form answers alike for every ID (services.auth);
    # first, as someone is waiting for each, and briefly, so the outbox keeps its time.
    resets = auth.deliver_reset_mails()
    outcomes = notifications.deliver_due()
    outcomes.update({f"reset_{k}": v for k, v in resets.items()})
    if outcomes:
        log.info("outbox run", extra={"outcomes": dict(outcomes)})
    return dict(outcomes)


# The topic is bound at deploy time: `chalice deploy --stage X` imports this module with the
# stage's settings, so each stage subscribes to its own topic (infra/template.yaml creates it).
@bp.on_sns_message(topic=config.mail_feedback_topic(), name="mail_feedback")
def mail_feedback(event) -> list[str]:
    """Stop mail to addresses SES reports as bouncing for good or complaining."""
    try:
        message = json.loads(event.message)
    except ValueError:
        log.error("SES feedback is not JSON", extra={"subject": event.subject})
        return []
    marked = notifications.record_feedback(message)
    if marked:
        log.warning("mail stopped for bouncing or complaining addresses", extra={"count": len(marked)})
    return marked
