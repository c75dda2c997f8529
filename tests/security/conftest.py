"""What the security suite walks: every route of the app, every role, real ids from factories.

Routes come from the Chalice app's own route table and forms from the rendered pages, so a
route or a field merged later is covered without editing this folder.
"""
from __future__ import annotations

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
