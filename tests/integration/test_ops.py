"""The command that creates the first agency admin on a deployed stage."""
from __future__ import annotations

import json

from chalicelib.models.users import AGENCY_ADMIN, User
from localdev import mailbox
from ops import create_admin


def test_creates_the_admin_once_and_mails_the_guidance(aws, test_project_dir, capsys):
    # test_project_dir's `test` stage points at the emulator's resources.
    command = ["--stage", "test", "--project-dir", str(test_project_dir)]
    assert create_admin.main([*command, "--user-id", "opsadmin1", "--email", "ops@example.com"]) == 0
    assert User.find("opsadmin1").role == AGENCY_ADMIN
    assert any("ops@example.com" in m["to"] for m in mailbox.messages())
    assert "mailed to ops@example.com" in capsys.readouterr().out
    assert create_admin.main([*command, "--user-id", "OPSADMIN1", "--email", "x@example.com"]) == 1


def test_stage_settings_come_from_the_chalice_config():
    settings = create_admin.stage_settings("prod")
    config = json.loads((create_admin.ROOT / ".chalice" / "config.json").read_text())
    assert settings["IRAI_TABLE"] == config["stages"]["prod"]["environment_variables"]["IRAI_TABLE"]
    assert settings["IRAI_BCRYPT_ROUNDS"] == "12"
