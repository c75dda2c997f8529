"""Configuration is read lazily and fails loudly."""
from __future__ import annotations

import pytest

from chalicelib.adapters import config


def test_missing_required_setting_names_itself(monkeypatch):
    monkeypatch.delenv("IRAI_TABLE", raising=False)
    with pytest.raises(config.ConfigError, match="IRAI_TABLE"):
        config.table_name()


def test_site_url_must_be_http_and_loses_trailing_slash(monkeypatch):
    monkeypatch.setenv("IRAI_SITE_URL", "https://irai.example.co.jp/")
    assert config.site_url() == "https://irai.example.co.jp"
    assert config.is_https()
    monkeypatch.setenv("IRAI_SITE_URL", "ftp://x")
    with pytest.raises(config.ConfigError):
        config.site_url()


def test_bcrypt_rounds_default_is_production_strength(monkeypatch):
    monkeypatch.delenv("IRAI_BCRYPT_ROUNDS", raising=False)
    assert config.bcrypt_rounds() == 12
    monkeypatch.setenv("IRAI_BCRYPT_ROUNDS", "3")
    with pytest.raises(config.ConfigError):
        config.bcrypt_rounds()


def test_every_setting_read_is_in_the_chalice_config():
    """A setting the code reads but the stages do not define would fail only after deploy."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "chalicelib" / "adapters" / "config.py").read_text()
    read = set(re.findall(r'"(IRAI_[A-Z_]+)"', source)) - {"IRAI_LOCAL_MODE"}
    stages = json.loads((root / ".chalice" / "config.json").read_text())
    for stage, settings in stages["stages"].items():
        defined = set(stages["environment_variables"]) | set(settings["environment_variables"])
        assert read <= defined, f"{stage} lacks {read - defined}"


def test_the_bucket_placeholder_of_an_unwritten_stage_fails_loudly(monkeypatch):
    monkeypatch.setenv("IRAI_BUCKET", "irai-prod-attachments-ACCOUNT_ID")
    with pytest.raises(config.ConfigError, match="ops.stage_settings"):
        config.attachments_bucket()
    monkeypatch.setenv("IRAI_BUCKET", "irai-prod-attachments-111122223333")
    assert config.attachments_bucket() == "irai-prod-attachments-111122223333"


@pytest.mark.parametrize("value", ["-1", "1.5", "２", "3601", "120s", "1e3"])
def test_the_mail_window_is_whole_seconds_up_to_an_hour_or_fails_loudly(monkeypatch, value):
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", value)
    with pytest.raises(config.ConfigError):
        config.mail_window()


def test_the_mail_window_defaults_to_two_minutes(monkeypatch):
    from datetime import timedelta

    monkeypatch.delenv("IRAI_MAIL_WINDOW_SECONDS", raising=False)
    assert config.mail_window() == timedelta(minutes=2)
    monkeypatch.setenv("IRAI_MAIL_WINDOW_SECONDS", "0")
    assert config.mail_window() == timedelta(0)
