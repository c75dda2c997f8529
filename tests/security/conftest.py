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
def client_with(app, test_project_dir, tmp_path):
    """Factory: a test client of the app as a stage with ``environment`` set differently."""
    from contextlib import ExitStack

    from chalice.test import Client

    with ExitStack() as stack:
        def make(**environment: str) -> Client:
            config = json.loads((test_project_dir / ".chalice" / "config.json").read_text())
            config["stages"]["test"]["environment_variables"].update(environment)
            folder = tmp_path / f"stage-{len(list(tmp_path.iterdir()))}"
            (folder / ".chalice").mkdir(parents=True)
            (folder / ".chalice" / "config.json").write_text(json.dumps(config))
            return stack.enter_context(Client(app, stage_name="test", project_dir=str(folder)))
        yield make


@pytest.fixture
def https_client(client_with):
    """The app as a stage served over HTTPS sees it (IRAI_SITE_URL=https://...)."""
    return client_with(IRAI_SITE_URL="https://irai.example.co.jp")


@pytest.fixture
def scheduled_client(client_with):
    """The app with mail left to the every-minute schedule, as in AWS (IRAI_MAIL_DELIVERY=scheduled)."""
    return client_with(IRAI_MAIL_DELIVERY="scheduled")
