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


# --- ops.stage_settings: the infra stack's outputs into .chalice/config.json -----------------------

import shutil  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402

from localdev import provision  # noqa: E402
from ops import stage_settings  # noqa: E402

PROD_PARAMS = {"Stage": "prod", "SiteUrl": "https://irai.example.co.jp", "MailDomain": "mail.example.co.jp",
               "NoReplyAddress": "no-reply@mail.example.co.jp"}


def _described_stack(params: dict[str, str]) -> dict:
    """What `describe-stacks` returns for infra/template.yaml deployed with ``params``."""
    template = provision.load_template()
    names = provision._names(template, provision._checked_params(template, params))
    outputs = [{"OutputKey": key, "OutputValue": provision.resolve(out["Value"], names)}
               for key, out in template["Outputs"].items()]
    return {"StackName": "irai-prod-infra", "Outputs": outputs,
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]}


def test_every_setting_comes_from_an_output_or_parameter_of_the_template():
    settings = stage_settings.settings_from_stack(_described_stack(PROD_PARAMS), "prod")
    assert settings == {
        "IRAI_TABLE": "irai-prod",
        "IRAI_BUCKET": "irai-prod-attachments-123456789012",  # the account ID of the stack's account
        "IRAI_MAIL_FROM": "no-reply@mail.example.co.jp",
        "IRAI_MAIL_CONFIGURATION_SET": "irai-prod-mail",
        "IRAI_MAIL_FEEDBACK_TOPIC": "irai-prod-mail-feedback",
        "IRAI_SITE_URL": "https://irai.example.co.jp",
    }


def test_another_stages_stack_or_an_old_template_is_refused():
    with pytest.raises(stage_settings.StackMismatch, match="Stage='prod', not 'dev'"):
        stage_settings.settings_from_stack(_described_stack(PROD_PARAMS), "dev")
    old = _described_stack(PROD_PARAMS)
    old["Outputs"] = [o for o in old["Outputs"] if o["OutputKey"] != "MailFeedbackTopicName"]
    with pytest.raises(stage_settings.StackMismatch, match="lacks MailFeedbackTopicName"):
        stage_settings.settings_from_stack(old, "prod")


# A stand-in stack in the emulator's CloudFormation with the outputs the infra template has.
STAND_IN = """
Parameters:
  Stage: {Type: String}
  SiteUrl: {Type: String}
  MailDomain: {Type: String}
Resources:
  Topic: {Type: "AWS::SNS::Topic", Properties: {TopicName: irai-prod-mail-feedback}}
Outputs:
  TableName: {Value: irai-prod}
  AttachmentsBucketName: {Value: !Sub "irai-prod-attachments-${AWS::AccountId}"}
  NoReplyAddress: {Value: no-reply@mail.example.co.jp}
  ConfigurationSetName: {Value: irai-prod-mail}
  MailFeedbackTopicName: {Value: !GetAtt Topic.TopicName}
"""


def _stand_in_stack(name: str, mail_domain: str) -> None:
    boto3.client("cloudformation").create_stack(
        StackName=name, TemplateBody=STAND_IN,
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "prod"},
                    {"ParameterKey": "SiteUrl", "ParameterValue": "https://irai.example.co.jp"},
                    {"ParameterKey": "MailDomain", "ParameterValue": mail_domain}])


def _copy_project_config(folder):
    for name in ("config.json", "policy-dev.json", "policy-prod.json"):
        shutil.copy(stage_settings.CONFIG.with_name(name), folder / name)
    return folder / "config.json"


def test_the_command_writes_the_stage_settings_from_describe_stacks(aws, tmp_path, capsys):
    config_path = _copy_project_config(tmp_path)
    before = json.loads(config_path.read_text())
    policy_before = (tmp_path / "policy-prod.json").read_bytes()
    _stand_in_stack("irai-prod-infra-ops-test", "mail.example.co.jp")
    command = ["--stage", "prod", "--stack", "irai-prod-infra-ops-test", "--config", str(config_path)]

    assert stage_settings.main(command) == 0
    after = json.loads(config_path.read_text())
    prod = after["stages"]["prod"]["environment_variables"]
    assert prod["IRAI_BUCKET"] == "irai-prod-attachments-123456789012"
    assert "IRAI_BUCKET: 'irai-prod-attachments-ACCOUNT_ID' -> 'irai-prod-attachments-123456789012'" in capsys.readouterr().out
    # Everything else is as it was: the other stage, the shared settings, the stage's other keys.
    assert after["stages"]["dev"] == before["stages"]["dev"]
    assert after["environment_variables"] == before["environment_variables"]
    assert {k: v for k, v in after["stages"]["prod"].items() if k != "environment_variables"} == \
        {k: v for k, v in before["stages"]["prod"].items() if k != "environment_variables"}

    # The committed policy already names this sender: rewritten byte for byte.
    assert (tmp_path / "policy-prod.json").read_bytes() == policy_before

    assert stage_settings.main(command) == 0
    assert "already up to date" in capsys.readouterr().out
    assert stage_settings.main(["--stage", "dev", *command[2:]]) == 1  # the prod stack for dev
    assert stage_settings.main(["--stage", "prod", "--stack", "no-such-stack", "--config", str(config_path)]) == 1
    assert "Nothing was written" in capsys.readouterr().err
    assert json.loads(config_path.read_text()) == after


def test_the_policy_lets_the_function_send_only_as_the_stacks_sender(aws, tmp_path, capsys):
    config_path = _copy_project_config(tmp_path)
    _stand_in_stack("irai-prod-infra-ops-domain", "notify.agency.example")
    assert stage_settings.main(["--stage", "prod", "--stack", "irai-prod-infra-ops-domain",
                                "--config", str(config_path)]) == 0
    assert "SendMailFromNoReplyOnly now names" in capsys.readouterr().out
    policy = json.loads((tmp_path / "policy-prod.json").read_text())
    (send,) = [s for s in policy["Statement"] if s["Sid"] == "SendMailFromNoReplyOnly"]
    assert send["Resource"] == ["arn:aws:ses:*:*:identity/notify.agency.example",
                                "arn:aws:ses:*:*:identity/no-reply@mail.example.co.jp",
                                "arn:aws:ses:*:*:configuration-set/irai-prod-mail"]
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": "no-reply@mail.example.co.jp"}}
    others = [s for s in policy["Statement"] if s["Sid"] != "SendMailFromNoReplyOnly"]
    assert others == [s for s in json.loads(stage_settings.CONFIG.with_name("policy-prod.json").read_text())["Statement"]
                      if s["Sid"] != "SendMailFromNoReplyOnly"]


# --- ops.gateway_404: the 404 page on a chalice-deployed API -------------------------------------

from ops import gateway_404  # noqa: E402


def test_a_chalice_deployed_api_gets_the_404_page_and_a_new_deployment(aws, tmp_path, capsys):
    client = boto3.client("apigateway")
    api_id = client.create_rest_api(name="irai")["id"]
    root_id = client.get_resources(restApiId=api_id)["items"][0]["id"]
    client.put_method(restApiId=api_id, resourceId=root_id, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", type="MOCK")
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    shutil.copy(stage_settings.CONFIG, tmp_path / ".chalice" / "config.json")
    # What `chalice deploy --stage prod` records (schema 2.0).
    (tmp_path / ".chalice" / "deployed" / "prod.json").write_text(json.dumps({"schema_version": "2.0", "resources": [
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id,
         "rest_api_url": f"https://{api_id}.execute-api.ap-northeast-1.amazonaws.com/api/"}]}))

    assert gateway_404.main(["--stage", "prod", "--project-dir", str(tmp_path)]) == 0
    assert f"REST API {api_id} (stage api)" in capsys.readouterr().out
    response = client.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert response["statusCode"] == "404"
    assert "ページが見つかりません" in response["responseTemplates"]["text/html"]
    assert json.loads(response["responseTemplates"]["application/json"]) == {"message": "見つかりません。"}
    assert response["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"
    assert [d["description"] for d in client.get_deployments(restApiId=api_id)["items"]] == [
        "Irai: 404 page for unknown URLs"]
    assert client.get_stage(restApiId=api_id, stageName="api")["deploymentId"]


def test_without_a_chalice_deploy_the_command_says_so(tmp_path):
    (tmp_path / ".chalice").mkdir()
    with pytest.raises(SystemExit, match="run `chalice deploy --stage prod` first"):
        gateway_404.main(["--stage", "prod", "--project-dir", str(tmp_path)])
