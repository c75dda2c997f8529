"""Logging setup: level from configuration, through the app's logger (never print)."""
from __future__ import annotations

import logging

from chalice import Chalice

from chalicelib.adapters import config


def configure(app: Chalice) -> None:
    level = getattr(logging, config.log_level(), logging.INFO)
    app.log.setLevel(level)
    logging.getLogger("chalicelib").setLevel(level)
