"""What the security suite walks: every route of the app, every role, real ids from factories.

Routes come from the Chalice app's own route table and forms from the rendered pages, so a
route or a field merged later is covered without editing this folder.
"""
from __future__ import annotations

import json

import pytest

from tests.support.accounts import anonymous, signed_in
from tests.support.agent import Agent
from tests.support.walk import build_world


@pytest.fixture(scope="session")
def world(aws):
    """One client company with an admin, a member, a request with a file; the agency's people."""
    return build_world()


@pytest.fixture
def sign_in(client, world):
    """Factory: an Agent signed in as ``role`` (or anonymous, with the login page's CSRF cookie)."""
    def agent(role: str) -> Agent:
        return anonymous(client) if role == "anonymous" else signed_in(client, world["people"][role])
    return agent


@pytest.fixture
def https_client(app, test_project_dir, tmp_path):
    """The app as a stage served over HTTPS sees it (IRAI_SITE_URL=https://...)."""
    from chalice.test import Client
    config = json.loads((test_project_dir / ".chalice" / "config.json").read_text())
    config["stages"]["test"]["environment_variables"]["IRAI_SITE_URL"] = "https://irai.example.co.jp"
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    with Client(app, stage_name="test", project_dir=str(tmp_path)) as client:
        yield client
