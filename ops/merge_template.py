"""The template `make package` merges into Chalice's SAM template (`chalice package
--merge-template`), so that the app and infra/template.yaml can also go out as one stack.

    .venv/bin/python -m ops.merge_template --stage prod build/merge.json

It is infra/template.yaml plus what one stack needs beyond it: the functions get the names
`chalice deploy` gives them (the log groups and alarms of the template name those); their
settings refer to the stack's own resources (so no account ID is written by hand); the SES
feedback subscription refers to the stack's topic (so CloudFormation creates the topic first);
and URLs no route matches get the app's 404 page instead of API Gateway's 403
{"message":"Missing Authentication Token"}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Chalice's logical ids (chalice.package.to_cfn_resource_name of each function) and the suffix
# Chalice puts after "<app>-<stage>" in the function's name.
FUNCTIONS = {"APIHandler": "", "DeliverMail": "-deliver_mail", "MailFeedback": "-mail_feedback"}
FEEDBACK_FUNCTION, FEEDBACK_EVENT = "MailFeedback", "MailFeedbackSnsSubscription"
APP_NAME = "irai"

# The settings each function gets from the stack instead of .chalice/config.json.
SETTINGS = {
    "IRAI_TABLE": {"Ref": "Table"},
    "IRAI_BUCKET": {"Ref": "AttachmentsBucket"},
    "IRAI_MAIL_FROM": {"Ref": "NoReplyAddress"},
    "IRAI_MAIL_CONFIGURATION_SET": {"Ref": "MailConfigurationSet"},
    "IRAI_MAIL_FEEDBACK_TOPIC": {"Fn::GetAtt": ["MailFeedbackTopic", "TopicName"]},
    "IRAI_SITE_URL": {"Ref": "SiteUrl"},
}

# Static header values are single-quoted literals in API Gateway, so no value may contain "'"
# (hence no Content-Security-Policy: its keywords are quoted; the page has no script and no
# user data). Content-Type is the chosen template's media type.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def gateway_responses() -> dict:
    """API Gateway's answer to a URL no route matches: a 404 page for browsers, JSON for the API."""
    from chalicelib import templating
    from chalicelib.web.api import API_MESSAGES

    page = templating.render("errors/gateway_404.html").strip()
    # The bodies are Velocity templates: "$" and "#" would be read as references and directives.
    if "$" in page or "#" in page:
        raise ValueError("templates/errors/gateway_404.html must not contain '$' or '#'")
    return {
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": 404,
            "responseParameters": {f"gatewayresponse.header.{k}": f"'{v}'" for k, v in _HEADERS.items()},
            "responseTemplates": {
                "text/html": page,
                "application/json": json.dumps({"message": API_MESSAGES[404]}, ensure_ascii=False),
            },
        },
    }


def merge_template(stage: str) -> dict:
    from localdev.provision import load_template

    template = load_template()
    # Chalice's half was built for one stage (its policy and settings name it): the infra half
    # must be deployed for the same one.
    template["Parameters"]["Stage"].update(AllowedValues=[stage], Default=stage)
    resources = template["Resources"]
    for logical_id, suffix in FUNCTIONS.items():
        resources[logical_id] = {"Properties": {
            "FunctionName": f"{APP_NAME}-{stage}{suffix}",
            "Environment": {"Variables": dict(SETTINGS)},
        }}
    # Chalice's Topic is {"Fn::Sub": "arn:...:<topic name>"}; the merge is deep, so only that
    # string can be replaced, by one that names the stack's topic (which orders the two).
    resources[FEEDBACK_FUNCTION]["Properties"]["Events"] = {
        FEEDBACK_EVENT: {"Properties": {"Topic": {"Fn::Sub": "${MailFeedbackTopic}"}}}}
    resources["RestAPI"] = {"Properties": {"DefinitionBody": {
        "x-amazon-apigateway-gateway-responses": gateway_responses()}}}
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(merge_template(args.stage), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
