"""Give a `chalice deploy`ed API the app's 404 page for URLs no route matches.

    .venv/bin/python -m ops.gateway_404 --stage prod

API Gateway answers a URL without a route itself, with 403 {"message":"Missing Authentication
Token"}, and `chalice deploy` has no setting for that answer. This sets the same gateway
response the one-stack template carries (ops/merge_template.py) on the stage's REST API, found in
.chalice/deployed/<stage>.json, and redeploys the API stage. `chalice deploy` overwrites the API
definition each time, so run it after every deploy (`make deploy` does).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ops.merge_template import gateway_responses

ROOT = Path(__file__).resolve().parent.parent
RESPONSE_TYPE = "MISSING_AUTHENTICATION_TOKEN"


def deployed_rest_api(stage: str, project_dir: Path = ROOT) -> tuple[str, str]:
    """(rest API id, API Gateway stage) of the chalice-deployed stage."""
    from chalice.config import DeployedResources

    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not path.is_file():
        raise SystemExit(f"{path} does not exist: run `chalice deploy --stage {stage}` first")
    deployed = DeployedResources(json.loads(path.read_text(encoding="utf-8")))
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    api_stage = config["stages"][stage].get("api_gateway_stage", config.get("api_gateway_stage", "api"))
    return deployed.resource_values("rest_api")["rest_api_id"], api_stage


def apply(client, rest_api_id: str, api_stage: str) -> None:
    response = gateway_responses()[RESPONSE_TYPE]
    client.put_gateway_response(
        restApiId=rest_api_id, responseType=RESPONSE_TYPE, statusCode=str(response["statusCode"]),
        responseParameters=response["responseParameters"], responseTemplates=response["responseTemplates"])
    # Gateway responses take effect with the next deployment of the stage.
    client.create_deployment(restApiId=rest_api_id, stageName=api_stage,
                             description="Irai: 404 page for unknown URLs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="where .chalice/ is")
    args = parser.parse_args(argv)
    rest_api_id, api_stage = deployed_rest_api(args.stage, args.project_dir)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        apply(boto3.client("apigateway"), rest_api_id, api_stage)
    except (ClientError, BotoCoreError) as error:
        print(f"The 404 response was not set: {error}", file=sys.stderr)
        return 1
    print(f"REST API {rest_api_id} (stage {api_stage}): unknown URLs now get the 404 page.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
