"""Signing in from tests: the one password every account made by the factories has, and an
Agent signed in over chalice.test.Client.

Nothing here imports the app, so conftest files may import it before the emulator is set up.
"""
from __future__ import annotations

from tests.support.agent import Agent

PASSWORD = "correct-horse-battery-staple"


def signed_in(client, user, *, password: str = PASSWORD, dashboard: bool = True) -> Agent:
    """An Agent signed in as ``user``.

    With ``dashboard`` (the usual case) it has opened the 管理画面 too, which must answer 200, so
    the agent holds a page (and its CSRF token) of a signed-in user. Without, it stops at the
    login's redirect: for tests that want to see the first page themselves.
    """
    agent = Agent(client)
    agent.login(user.user_id, password)
    if dashboard:
        assert agent.get("/").status_code == 200
    return agent


def anonymous(client) -> Agent:
    """An Agent nobody signed in with, holding the ログイン page (and its CSRF cookie)."""
    agent = Agent(client)
    agent.get("/login")
    return agent
