"""Local mode over real HTTP: the server `make run` starts, the mailbox, persistence, Ctrl-C."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from chalice.local import ChaliceRequestHandler

from tests.support.factories import make_company, register, unique_id
from tests.support.paths import ROOT
from tests.support.waits import HTTP_TIMEOUT_S, WAIT_S

NEW_PASSWORD = "kaede-momiji-aki-2026"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_mailbox_lists_sent_mail_as_json_and_html(live_server, make_user):
    user_id = unique_id("mail")
    register(make_user(), make_company(), user_id=user_id, name="佐藤 一郎")
    mails = requests.get(f"{live_server.url}/dev/mail.json", timeout=HTTP_TIMEOUT_S).json()
    mail = next(m for m in mails if f"{user_id}@example.com" in m["to"])
    assert {"from", "to", "subject", "text", "html", "sent_at"} <= set(mail)
    assert mail["subject"].endswith("ログインのご案内")
    assert "no-reply@example.com" in mail["from"]
    assert f"ユーザーID: {user_id}" in mail["text"] and "/login" in mail["text"]
    assert "返信はできません" in mail["text"]
    later_id = unique_id("mail")
    register(make_user(), make_company(), user_id=later_id, name="佐藤 二郎")
    order = [m["to"][0] for m in requests.get(f"{live_server.url}/dev/mail.json", timeout=HTTP_TIMEOUT_S).json()]
    assert order.index(f"{later_id}@example.com") < order.index(f"{user_id}@example.com")  # newest first
    page = requests.get(f"{live_server.url}/dev/mail", timeout=HTTP_TIMEOUT_S).text
    assert "ローカルメールボックス" in page and user_id in page
    # Sender, recipients, subject and both bodies: the text one as it reads, the HTML one rendered
    # (in a sandboxed frame, scripts off) and as source.
    article = next(a for a in page.split("<article>") if f"{user_id}@example.com" in a.split("</dl>", 1)[0])
    assert "差出人" in article and "no-reply@example.com" in article and "ログインのご案内" in article
    assert f"ユーザーID: {user_id}" in article
    assert re.search(r'<iframe class="html-body" sandbox srcdoc="[^"]*&lt;table', article)


def test_dev_routes_are_not_part_of_the_app(client):
    """Threat: the local mailbox (with temporary passwords) reachable on a deployed stage."""
    for path in ("/dev/mail", "/dev/mail.json"):
        assert client.http.get(path).status_code in (403, 404)


def test_sign_in_over_real_http_with_browser_headers(live_server, make_user):
    from tests.support.factories import PASSWORD
    user = make_user()
    session = requests.Session()
    html = session.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S).text
    response = session.post(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S, allow_redirects=False, data={
        "user_id": user.user_id, "password": PASSWORD, "csrf_token": _csrf(html), "next": "/"},
        headers={"Origin": live_server.url, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert user.name in session.get(f"{live_server.url}/", timeout=HTTP_TIMEOUT_S).text


def test_keep_alive_requests_are_not_delayed_by_nagle(live_server):
    """Nagle's algorithm with delayed ACKs adds ~40 ms to each keep-alive response."""
    assert ChaliceRequestHandler.disable_nagle_algorithm is True
    session = requests.Session()
    session.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S)
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        session.get(f"{live_server.url}/login", timeout=HTTP_TIMEOUT_S)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.035, timings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`python -m localdev.server` as `make run` starts it, read line by line."""

    def __init__(self, port: int, state: Path, admin_id: str):
        env = {**os.environ, "PORT": str(port), "IRAI_LOCAL_STATE": str(state), "ADMIN_USER_ID": admin_id,
               "ADMIN_EMAIL": f"{admin_id}@example.com", "PYTHONUNBUFFERED": "1"}
        for name in [n for n in env if n.startswith(("IRAI_", "AWS_"))]:
            if name != "IRAI_LOCAL_STATE":
                env.pop(name)  # the server must set up its own environment, as on a fresh machine
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, "-m", "localdev.server"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        for line in self.process.stdout:  # the banner ends with the line saying it runs
            self.output.append(line)
            if "Ctrl-C to stop" in line:
                break
        else:
            raise AssertionError("server did not start:\n" + "".join(self.output))

    def printed(self, label: str) -> str:
        line = next(line for line in self.output if label in line)
        return line.split(label, 1)[1].strip()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=WAIT_S)
        self.output.extend(self.process.stdout.readlines())
        return code


def _login(url: str, user_id: str, password: str) -> requests.Response:
    session = requests.Session()
    html = session.get(f"{url}/login", timeout=HTTP_TIMEOUT_S).text
    return session.post(f"{url}/login", allow_redirects=False, timeout=HTTP_TIMEOUT_S, data={
        "user_id": user_id, "password": password, "csrf_token": _csrf(html), "next": "/"}), session


def test_make_run_server_creates_the_admin_keeps_data_and_frees_the_port(tmp_path):
    port, admin_id = _free_port(), "ownerA1"
    first = RunningServer(port, tmp_path / "state", admin_id)
    try:
        assert first.printed("ユーザーID:") == admin_id
        temporary = first.printed("仮パスワード:")
        mails = requests.get(f"{first.url}/dev/mail.json", timeout=HTTP_TIMEOUT_S).json()
        assert any(temporary in m["text"] and f"{admin_id}@example.com" in m["to"] for m in mails)
        response, session = _login(first.url, admin_id, temporary)
        assert response.headers["location"] == "/password"
        html = session.get(f"{first.url}/password", timeout=HTTP_TIMEOUT_S).text
        changed = session.post(f"{first.url}/password", allow_redirects=False, timeout=HTTP_TIMEOUT_S, data={
            "current_password": temporary, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD, "csrf_token": _csrf(html)})
        assert changed.status_code == 303
    finally:
        assert first.stop() == 0
    with socket.socket() as probe:  # Ctrl-C freed the port: nothing listens on it any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
        probe.bind(("127.0.0.1", port))

    second = RunningServer(port, tmp_path / "state", admin_id)
    try:
        assert any("exists already" in line for line in second.output)
        response, _ = _login(second.url, admin_id, NEW_PASSWORD)
        assert response.headers["location"] == "/"  # the changed password survived the restart
        mails = requests.get(f"{second.url}/dev/mail.json", timeout=HTTP_TIMEOUT_S).json()
        assert any(f"{admin_id}@example.com" in m["to"] for m in mails)  # and so did the mailbox
    finally:
        assert second.stop() == 0
    saved = json.loads((tmp_path / "state" / "dynamodb.json").read_text())
    assert any(item["PK"]["S"] == f"USER#{admin_id.lower()}" for item in saved)
