"""pytest plugin: the logs of the whole test run never contain passwords, tokens or mail bodies.

Every record the app's loggers (and the root logger) emit during the session is written, formatted
by the app's own JsonFormatter, to one file. The secrets are gathered from where they really occur,
not guessed: every password bcrypt hashed or checked (test passwords, temporary passwords, typed
new passwords), every mail the app sent through SES (the temporary passwords and reset tokens in
it, and its text lines). At session end the file is searched for all of them and for anything
shaped like a session or CSRF token (token_urlsafe(32)); a hit fails the run.
"""
from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import bcrypt
import pytest

from tests.support import aws_audit

MIN_SECRET = 8  # shorter typed values ("x", "short") are not worth a match on every line
TOKEN_SHAPED = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])"
                          r"(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
_passwords: set[str] = set()
_lock = threading.Lock()
_state: dict = {}


def _remember(password) -> None:
    text = password.decode("utf-8", "replace") if isinstance(password, bytes) else str(password)
    if len(text) >= MIN_SECRET:
        with _lock:
            _passwords.add(text)


def _observe_bcrypt() -> None:
    """Note each plaintext bcrypt sees; hashing and checking behave exactly as before."""
    hashpw, checkpw = bcrypt.hashpw, bcrypt.checkpw

    def observed_hashpw(password, salt):
        _remember(password)
        return hashpw(password, salt)

    def observed_checkpw(password, hashed):
        _remember(password)
        return checkpw(password, hashed)

    bcrypt.hashpw, bcrypt.checkpw = observed_hashpw, observed_checkpw


def mail_secrets(raw_mails: list[bytes]) -> tuple[set[str], set[str]]:
    """(temporary passwords and reset tokens, text lines) of the mails the app sent."""
    secrets, lines = set(), set()
    for raw in raw_mails:
        message = message_from_bytes(raw, policy=default_policy)
        text = message.get_body(preferencelist=("plain",)).get_content()
        secrets.update(re.findall(r"仮パスワード: (\S+)", text))
        secrets.update(re.findall(r"/password/reset/([A-Za-z0-9_-]+)", text))
        lines.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 12)
    return secrets, lines


def findings(log_text: str, passwords: set[str], raw_mails: list[bytes]) -> list[str]:
    secrets, body_lines = mail_secrets(raw_mails)
    found = [f"a password is logged: {p[:3]}…" for p in sorted(passwords) if p in log_text]
    found += [f"a temporary password or reset token is logged: {s[:4]}…" for s in sorted(secrets) if s in log_text]
    found += [f"a line of a mail body is logged: {line[:30]}" for line in sorted(body_lines) if line in log_text]
    found += [f"something token-shaped is logged: {m[:6]}…" for m in sorted(set(TOKEN_SHAPED.findall(log_text)))]
    return found


def pytest_configure(config):
    from chalicelib.web.logs import JsonFormatter

    _observe_bcrypt()
    path = Path(tempfile.mkdtemp(prefix="irai-logs-")) / "session.jsonl"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    for name in ("chalicelib", "irai", None):
        logging.getLogger(name).addHandler(handler)
    _state.update(path=path, handler=handler)


def local_check() -> dict:
    """This process's log searched for this process's secrets (a password typed in one pytest-xdist
    worker can only be logged by that worker), with what the full-run check needs to know."""
    _state["handler"].flush()
    lines = [json.loads(line) for line in _state["path"].read_text(encoding="utf-8").splitlines()]
    # Searched as the values read back, so JSON escaping cannot hide a match.
    text = "\n".join(str(value) for entry in lines for value in entry.values())
    return {"findings": findings(text, _passwords, aws_audit.RECORDER.raw_mails),
            "passwords": len(_passwords), "mails": len(aws_audit.RECORDER.raw_mails),
            "requests_logged": any(bool(e.get("route") and e.get("request_id")) for e in lines),
            "paths": [str(_state["path"])]}


def merged(checks: list[dict]) -> dict:
    return {"findings": sorted({f for c in checks for f in c["findings"]}),
            "passwords": sum(c["passwords"] for c in checks), "mails": sum(c["mails"] for c in checks),
            "requests_logged": any(c["requests_logged"] for c in checks),
            "paths": [p for c in checks for p in c["paths"]]}


def problems(session, check: dict) -> list[str]:
    found = list(check["findings"])
    if aws_audit._full_run(session):
        if not check["requests_logged"]:
            found.append("a full run logged no request with its request ids")
        if not (check["passwords"] and check["mails"]):
            found.append("a full run saw no password or no mail, so the log check checked nothing")
    return found


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    check = getattr(node, "workeroutput", {}).get("irai_log_check")
    if check is not None:
        _state.setdefault("workers", []).append(check)


def pytest_sessionfinish(session, exitstatus):
    if aws_audit.is_worker(session.config):
        session.config.workeroutput["irai_log_check"] = local_check()
        return
    check = merged([local_check(), *_state.get("workers", [])])
    aws_audit.report(session, problems(session, check),
                     f"Log check ({', '.join(check['paths'])}, {check['passwords']} passwords, {check['mails']} mails)")
