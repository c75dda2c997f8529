"""Configuration, read lazily from the environment that `.chalice/config.json` sets per stage.

Every setting the app reads is named here and in `.chalice/config.json`. A missing required
setting fails loudly; there are no default secrets. Reading happens at call time, not import
time, because `chalice.test.Client` only applies the stage's variables during a request.
"""
from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"setting {name} is not set (see .chalice/config.json)")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"setting {name} must be a whole number, not {raw!r}") from None


def table_name() -> str:
    return _required("IRAI_TABLE")


def attachments_bucket() -> str:
    bucket = _required("IRAI_BUCKET")
    if "ACCOUNT_ID" in bucket:  # the committed placeholder: the stage's settings were never written
        raise ConfigError("setting IRAI_BUCKET still holds ACCOUNT_ID: run python -m ops.stage_settings (README)")
    return bucket


def mail_from_address() -> str:
    """The no-reply sender address; SES bounces anything sent to it."""
    return _required("IRAI_MAIL_FROM")


def mail_configuration_set() -> str:
    """The SES configuration set every mail is sent with; it publishes bounces and complaints
    to the feedback topic (see infra/template.yaml)."""
    return _required("IRAI_MAIL_CONFIGURATION_SET")


def mail_feedback_topic() -> str:
    """Name of the SNS topic SES feedback arrives on.

    Read when app.py is imported, not lazily: the handler's subscription is declared at deploy
    time, and `chalice deploy/package --stage <stage>` loads the app with the stage's settings.
    """
    return _required("IRAI_MAIL_FEEDBACK_TOPIC")


def mail_window() -> timedelta:
    """How long a notification waits before it is sent (scheduled delivery), so that what else
    happens on the request meanwhile reaches each recipient in the same mail
    (IRAI_MAIL_WINDOW_SECONDS, default 120; 0 sends at the next run)."""
    raw = os.environ.get("IRAI_MAIL_WINDOW_SECONDS", "120").strip() or "120"
    if not raw.isascii() or not raw.isdigit() or int(raw) > 3600:
        raise ConfigError(f"IRAI_MAIL_WINDOW_SECONDS must be a whole number of seconds up to 3600, not {raw!r}")
    return timedelta(seconds=int(raw))


def mail_delivery() -> str:
    """How notifications leave the outbox: "scheduled" (AWS: a scheduled Lambda sends them, the
    user's request never waits for SES) or "inline" (local mode: sent in-process right after the
    change is stored, so the mailbox shows them at once; the schedule's sweep still retries)."""
    value = os.environ.get("IRAI_MAIL_DELIVERY", "scheduled").strip() or "scheduled"
    if value not in ("scheduled", "inline"):
        raise ConfigError(f"IRAI_MAIL_DELIVERY must be 'scheduled' or 'inline', not {value!r}")
    return value


def site_url() -> str:
    """Public base URL of the site, without a trailing slash (used in e-mails and origin checks)."""
    url = _required("IRAI_SITE_URL").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"IRAI_SITE_URL must be an http(s) URL, not {url!r}")
    return url


def site_origin() -> str:
    parts = urlsplit(site_url())
    return f"{parts.scheme}://{parts.netloc}"


def is_https() -> bool:
    return site_url().startswith("https://")


def dynamodb_read_timeout_seconds() -> int:
    """How long a DynamoDB call may go unanswered before botocore gives up on it and retries."""
    return _int("IRAI_DYNAMODB_READ_TIMEOUT_SECONDS", 3)


def bcrypt_rounds() -> int:
    """bcrypt cost: 12 in production; tests lower it through configuration."""
    rounds = _int("IRAI_BCRYPT_ROUNDS", 12)
    if not 4 <= rounds <= 31:
        raise ConfigError("IRAI_BCRYPT_ROUNDS must be between 4 and 31")
    return rounds


def session_idle_minutes() -> int:
    return _int("IRAI_SESSION_IDLE_MINUTES", 120)


def session_absolute_hours() -> int:
    return _int("IRAI_SESSION_ABSOLUTE_HOURS", 12)


def temp_password_days() -> int:
    return _int("IRAI_TEMP_PASSWORD_DAYS", 7)


def login_failures_per_address_hour() -> int:
    """Failed logins allowed per client address and hour (an office may share one address)."""
    return _int("IRAI_LOGIN_FAILURES_PER_ADDRESS_HOUR", 100)


def password_reset_minutes() -> int:
    return _int("IRAI_PASSWORD_RESET_MINUTES", 30)


def upload_max_bytes() -> int:
    """Largest attachment accepted, in bytes (IRAI_UPLOAD_MAX_MB, default 50 MB)."""
    return _int("IRAI_UPLOAD_MAX_MB", 50) * 1024 * 1024


def upload_url_seconds() -> int:
    """How long a presigned upload (POST policy) stays valid."""
    return _int("IRAI_UPLOAD_URL_SECONDS", 300)


def download_url_seconds() -> int:
    """How long a presigned download link stays valid (issued after each permission check)."""
    return _int("IRAI_DOWNLOAD_URL_SECONDS", 60)


def inline_image_types() -> frozenset[str]:
    """Content types shown inline as thumbnails; everything else is only ever downloaded."""
    raw = os.environ.get("IRAI_INLINE_IMAGE_TYPES", "image/png,image/jpeg,image/gif,image/webp")
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def log_level() -> str:
    return os.environ.get("IRAI_LOG_LEVEL", "INFO").upper()


def local_mode() -> bool:
    """True only under `make run` and the tests: enables the local mailbox."""
    return os.environ.get("IRAI_LOCAL_MODE") == "1"


def chatwork_api_url() -> str:
    """Chatwork's API root (IRAI_CHATWORK_API_URL); empty for the real one. The tests and local
    mode point it at a receiver on this machine."""
    return os.environ.get("IRAI_CHATWORK_API_URL", "").strip()
