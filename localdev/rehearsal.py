"""Rehearse the README's "Deploying to AWS" on a fresh emulator, from an empty account.

    make deploy-rehearsal        (.venv/bin/python -m localdev.rehearsal)

Starts moto in this process (with localdev/moto_patches.py applied) on a free 127.0.0.1 port,
copies the project's files to a temporary directory and runs the README's deploy commands
there, in the README's order, pointed at the emulator by AWS_ENDPOINT_URL with dummy
credentials: the infra stack, the receipt rule set, the stage's settings, `make deploy
STAGE=prod`, the first admin, an upgrade (the same steps again after a code change), a backup
and a point-in-time restore, `chalice delete` and the infra stack's deletion, then the one-stack
path (dist/sam.json). The committed .chalice/config.json is never written: the copy's is.

`make` and `.venv/bin/python -m ops...` commands run exactly as the README writes them. The
AWS CLI is not one of the project's tools, so each `aws ...` command is carried out by the boto3
call it makes (listed next to it in COMMANDS; `aws cloudformation deploy` is a create_stack,
then an update_stack). Commands that need what an emulator cannot give (DNS, ACM certificates,
SES leaving the sandbox) are listed in MANUAL with the reason, and printed as not rehearsed.

After the steps, what was deployed is checked against what the app needs. A check the emulator
cannot make is printed as "not rehearsed" with its reason and never counted as passed. The exit
status is 1 when a step or a check failed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = "prod"
APP_NAME = "irai"
INFRA_STACK = f"irai-{STAGE}-infra"
ONE_STACK = f"irai-{STAGE}"
SITE_URL = "https://irai.example.co.jp"
MAIL_DOMAIN = "mail.example.co.jp"
NO_REPLY = "no-reply@mail.example.co.jp"
PARAMETERS = {"Stage": STAGE, "SiteUrl": SITE_URL, "MailDomain": MAIL_DOMAIN, "NoReplyAddress": NO_REPLY,
              "AlarmEmail": "ops@agency.co.jp"}
FUNCTIONS = {"api_handler": f"{APP_NAME}-{STAGE}", "deliver_mail": f"{APP_NAME}-{STAGE}-deliver_mail",
             "mail_feedback": f"{APP_NAME}-{STAGE}-mail_feedback"}
LOG_RETENTION_DAYS = 90

# What `make deploy STAGE=prod` runs (checked against `make -n deploy STAGE=prod` in the copy):
# the README names these too.
MAKE_DEPLOY_RUNS = ("make package", "chalice package --merge-template", f"chalice deploy --stage {STAGE}",
                    f"python -m ops.gateway_404 --stage {STAGE}")

# Commands of the README's deploy section that cannot run against an emulator, with why.
# A README command is covered when it starts with one of these (placeholders included).
MANUAL = {
    "aws sesv2 put-account-details": "SES sandbox: AWS staff grant production access",
    "aws sesv2 create-email-identity --email-identity you@agency.co.jp":
        "SES sandbox: a person clicks the link SES mails to the address",
    "aws acm request-certificate": "ACM: a certificate is issued once DNS shows the validation record",
    "aws acm describe-certificate": "ACM: needs the certificate of a real request",
    "aws apigateway create-domain-name": "ACM and DNS: needs an issued certificate and the domain's DNS",
    "aws apigateway create-base-path-mapping": "ACM and DNS: follows create-domain-name",
    "curl https://irai.example.co.jp/health": "DNS: the custom domain; and moto runs no Lambda code",
}


class StepFailed(Exception):
    pass


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_rehearsed: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed.append(name)
            print(f"  ok              {name}")
        else:
            self.failed.append(f"{name}: {detail}" if detail else name)
            print(f"  FAILED          {name}{': ' + detail if detail else ''}")
        return ok

    def equal(self, name: str, actual, expected) -> bool:
        return self.check(name, actual == expected, f"got {actual!r}, expected {expected!r}")

    def skip(self, name: str, why: str) -> None:
        self.not_rehearsed.append(f"{name} ({why})")
        print(f"  not rehearsed   {name} ({why})")


# --------------------------------------------------------------------------- the project's copy

def copy_project(target: Path) -> Path:
    """The repository's files (as in the working tree) under ``target``, with the real .venv
    linked in. File times are kept, and the requirements files are given the time of .venv's
    set-up stamp, so `make` sees a set-up checkout and installs nothing."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True)
    if listed.returncode == 0:
        names = listed.stdout.decode().split("\0")
    else:  # not a git checkout (an unpacked release): everything but what a build or a run adds
        skipped = {".git", ".venv", "node_modules", "dist", "build", ".local", "test-artifacts", "__pycache__",
                   "deployments", "deployed", ".pytest_cache", ".hypothesis"}
        names = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
                 if not skipped & set(path.relative_to(ROOT).parts)]
    for name in filter(None, names):
        source = ROOT / name
        if not source.is_file() or source.is_symlink():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    venv = (ROOT / ".venv").resolve()
    (target / ".venv").symlink_to(venv)
    stamp = venv / ".installed"
    if stamp.exists():
        for requirements in ("requirements.txt", "requirements-dev.txt"):
            os.utime(target / requirements, (stamp.stat().st_mtime, stamp.stat().st_mtime))
    return target


def emulator_environment(endpoint_url: str) -> dict[str, str]:
    """The environment of every command: only the emulator is reachable as AWS, with dummy keys;
    no profile, credentials file or instance metadata is read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IRAI_"))}
    env.update({
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


# --------------------------------------------------------------------------- the rehearsal

class Rehearsal:
    def __init__(self, project: Path, endpoint_url: str, report: Report, region: str):
        self.project = project
        self.endpoint_url = endpoint_url
        self.report = report
        self.region = region
        self.env = emulator_environment(endpoint_url)
        self.ran: list[str] = []
        import boto3

        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=region)
        self.client = lambda service: session.client(service, endpoint_url=endpoint_url)

    # ---- running README commands

    def run(self, command: str) -> str:
        """Run a README command: literally, or (aws ...) as the boto3 call COMMANDS gives it."""
        print(f"\n$ {command}")
        self.ran.append(command)
        handler = COMMANDS.get(command)
        if handler is None:
            raise StepFailed(f"not a README command the rehearsal knows: {command}")
        if handler is SHELL:
            result = subprocess.run(shlex.split(command), cwd=self.project, env=self.env, text=True,
                                    capture_output=True)
            output = result.stdout + result.stderr
            print("    " + "\n    ".join(output.rstrip().splitlines()[-12:]))
            if result.returncode != 0:
                raise StepFailed(f"`{command}` exited with {result.returncode}:\n{output[-4000:]}")
            return output
        return handler(self) or ""

    def export_region(self) -> None:
        self.env.update({"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region})
        print(f"    (region {self.region})")

    def deploy_infra(self) -> None:
        """`aws cloudformation deploy`: create the stack, or update it when it exists."""
        cloudformation = self.client("cloudformation")
        body = (self.project / "infra" / "template.yaml").read_text(encoding="utf-8")
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()]
        exists = any(s["StackName"] == INFRA_STACK and s["StackStatus"] != "DELETE_COMPLETE"
                     for s in cloudformation.list_stacks()["StackSummaries"])
        if exists:
            print(f"    (boto3 cloudformation update_stack {INFRA_STACK})")
            cloudformation.update_stack(StackName=INFRA_STACK, TemplateBody=body, Parameters=parameters)
        else:
            print(f"    (boto3 cloudformation create_stack {INFRA_STACK})")
            cloudformation.create_stack(StackName=INFRA_STACK, TemplateBody=body, Parameters=parameters)
        status = self.wait_for_stack(INFRA_STACK)
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise StepFailed(f"stack {INFRA_STACK}: {status}")
        print(f"    {INFRA_STACK}: {status}")

    def wait_for_stack(self, name: str) -> str:
        cloudformation = self.client("cloudformation")
        deadline = time.monotonic() + 120
        while True:  # moto completes synchronously; AWS would take minutes, polled the same way
            status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                return status
            time.sleep(1)

    def activate_rule_set(self) -> None:
        self.client("ses").set_active_receipt_rule_set(RuleSetName=f"irai-{STAGE}-inbound")

    def dkim_tokens(self) -> None:
        tokens = self.client("sesv2").get_email_identity(EmailIdentity=MAIL_DOMAIN)["DkimAttributes"].get("Tokens")
        print(f"    DKIM tokens: {tokens}")
        if not tokens:
            self.report.skip("the three DKIM tokens to publish", "moto's GetEmailIdentity has no DKIM tokens")
        else:
            self.report.equal("the three DKIM tokens to publish", len(tokens), 3)

    def subscribe_alarms(self) -> None:
        arn = self.output(INFRA_STACK, "AlarmTopicArn")
        self.client("sns").subscribe(TopicArn=arn, Protocol="email", Endpoint="oncall@agency.co.jp")

    def restore_table(self) -> None:
        self.client("dynamodb").restore_table_to_point_in_time(
            SourceTableName=f"irai-{STAGE}", TargetTableName=f"irai-{STAGE}-restored",
            RestoreDateTime=time.time() - 1)

    def backup_table(self) -> None:
        self.client("dynamodb").create_backup(TableName=f"irai-{STAGE}", BackupName="before-rehearsal")

    def delete_infra(self) -> None:
        self.client("cloudformation").delete_stack(StackName=INFRA_STACK)

    def package_one_stack(self) -> None:
        """`aws cloudformation package`: upload each function's CodeUri to the artifacts bucket
        and name the uploaded object instead."""
        s3 = self.client("s3")
        bucket = "irai-artifacts-rehearsal"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        dist = self.project / "dist"
        template = json.loads((dist / "sam.json").read_text(encoding="utf-8"))
        for resource in template["Resources"].values():
            code = resource.get("Properties", {}).get("CodeUri")
            if resource["Type"] == "AWS::Serverless::Function" and isinstance(code, str):
                key = f"rehearsal/{Path(code).name}"
                s3.upload_file(str(dist / code), bucket, key)
                resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
        (dist / "packaged.json").write_text(json.dumps(template, indent=2), encoding="utf-8")

    def deploy_one_stack(self) -> None:
        cloudformation = self.client("cloudformation")
        body = (self.project / "dist" / "packaged.json").read_text(encoding="utf-8")
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items() if k != "Stage"]
        print(f"    (boto3 cloudformation create_stack {ONE_STACK}, CAPABILITY_IAM CAPABILITY_AUTO_EXPAND)")
        cloudformation.create_stack(StackName=ONE_STACK, TemplateBody=body, Parameters=parameters,
                                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
        print(f"    {ONE_STACK}: {self.wait_for_stack(ONE_STACK)}")

    # ---- helpers

    def output(self, stack: str, key: str) -> str:
        outputs = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        return next((o["OutputValue"] for o in outputs if o["OutputKey"] == key), "")

    def config(self) -> dict:
        return json.loads((self.project / ".chalice" / "config.json").read_text(encoding="utf-8"))

    def deployed(self) -> dict:
        path = self.project / ".chalice" / "deployed" / f"{STAGE}.json"
        return {r["name"]: r for r in json.loads(path.read_text(encoding="utf-8"))["resources"]}


SHELL = object()  # run as typed, in the copy

# Every README deploy command the rehearsal runs, as written there, and how.
COMMANDS: dict[str, object] = {
    "export AWS_REGION=<region> AWS_DEFAULT_REGION=<region>": Rehearsal.export_region,
    ("aws cloudformation deploy --template-file infra/template.yaml --stack-name irai-prod-infra "
     "--parameter-overrides Stage=prod SiteUrl=https://irai.example.co.jp MailDomain=mail.example.co.jp "
     "NoReplyAddress=no-reply@mail.example.co.jp AlarmEmail=ops@agency.co.jp"): Rehearsal.deploy_infra,
    "aws ses set-active-receipt-rule-set --rule-set-name irai-prod-inbound": Rehearsal.activate_rule_set,
    "aws sesv2 get-email-identity --email-identity mail.example.co.jp --query DkimAttributes.Tokens":
        Rehearsal.dkim_tokens,
    "make .venv/.installed": SHELL,
    ".venv/bin/python -m ops.stage_settings --stage prod --stack irai-prod-infra": SHELL,
    "make deploy STAGE=prod": SHELL,
    ".venv/bin/python -m ops.create_admin --stage prod --user-id admin01 --email owner@agency.co.jp": SHELL,
    ".venv/bin/python -m ops.index_emails --stage prod": SHELL,
    ".venv/bin/python -m ops.index_search --stage prod": SHELL,
    "aws sns subscribe --topic-arn <arn> --protocol email --notification-endpoint ...": Rehearsal.subscribe_alarms,
    ("aws dynamodb create-backup --table-name irai-prod --backup-name before-<release>"): Rehearsal.backup_table,
    ("aws dynamodb restore-table-to-point-in-time --source-table-name irai-prod "
     "--target-table-name irai-prod-restored --restore-date-time <time>"): Rehearsal.restore_table,
    ".venv/bin/chalice delete --stage prod": SHELL,
    "aws cloudformation delete-stack --stack-name irai-prod-infra": Rehearsal.delete_infra,
    ("aws cloudformation package --template-file dist/sam.json --s3-bucket <artifacts-bucket> "
     "--output-template-file dist/packaged.json"): Rehearsal.package_one_stack,
    ("aws cloudformation deploy --template-file dist/packaged.json --stack-name irai-prod "
     "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameter-overrides "
     "SiteUrl=https://irai.example.co.jp MailDomain=mail.example.co.jp "
     "NoReplyAddress=no-reply@mail.example.co.jp AlarmEmail=ops@agency.co.jp"): Rehearsal.deploy_one_stack,
}


# --------------------------------------------------------------------------- the checks

def check_infra(r: Rehearsal) -> None:
    """The infra stack's resources, as the app and the README need them."""
    report = r.report
    print("\nChecks: the infra stack")
    dynamodb = r.client("dynamodb")
    table = dynamodb.describe_table(TableName=f"irai-{STAGE}")["Table"]
    report.equal("table keys PK (hash), SK (range)",
                 [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]], [("PK", "HASH"), ("SK", "RANGE")])
    report.equal("table billing PAY_PER_REQUEST", table.get("BillingModeSummary", {}).get("BillingMode"),
                 "PAY_PER_REQUEST")
    indexes = {i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]],
                                i["Projection"]["ProjectionType"]) for i in table.get("GlobalSecondaryIndexes", [])}
    report.equal("table indexes GSI1, GSI2 (keys, projection ALL)", indexes, {
        "GSI1": ([("GSI1PK", "HASH"), ("GSI1SK", "RANGE")], "ALL"),
        "GSI2": ([("GSI2PK", "HASH"), ("GSI2SK", "RANGE")], "ALL")})
    ttl = dynamodb.describe_time_to_live(TableName=f"irai-{STAGE}")["TimeToLiveDescription"]
    report.equal("table TTL on expires_at", (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")),
                 ("ENABLED", "expires_at"))
    pitr = dynamodb.describe_continuous_backups(TableName=f"irai-{STAGE}")["ContinuousBackupsDescription"]
    report.equal("table point-in-time recovery",
                 pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
    report.equal("table encryption", table.get("SSEDescription", {}).get("Status"), "ENABLED")

    s3 = r.client("s3")
    bucket = r.output(INFRA_STACK, "AttachmentsBucketName")
    report.equal("bucket name ends in the account ID", bucket, f"irai-{STAGE}-attachments-123456789012")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    report.check("bucket blocks all public access", all(block.get(k) for k in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")), str(block))
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    report.equal("bucket encryption AES256",
                 [e["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for e in encryption], ["AES256"])
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    report.equal("bucket CORS: the site may POST and GET", [(c["AllowedOrigins"], sorted(c["AllowedMethods"]))
                                                            for c in cors], [([SITE_URL], ["GET", "POST"])])
    rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    pending = rules.get("expire-unconfirmed-uploads", {})
    report.equal("bucket lifecycle: uploads/pending/ expire after a day",
                 (pending.get("Status"), pending.get("Filter", {}).get("Prefix", pending.get("Prefix")),
                  pending.get("Expiration", {}).get("Days")), ("Enabled", "uploads/pending/", 1))
    multipart = rules.get("abort-incomplete-multipart-uploads", {})
    report.equal("bucket lifecycle: incomplete multipart uploads aborted after a day",
                 multipart.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation"), 1)
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    report.equal("bucket ownership BucketOwnerEnforced", [o["ObjectOwnership"] for o in ownership],
                 ["BucketOwnerEnforced"])
    report.skip("bucket policy DenyInsecureTransport", "moto's CloudFormation does not model AWS::S3::BucketPolicy")

    ses, sesv2 = r.client("ses"), r.client("sesv2")
    report.check("SES identity of the mail domain", MAIL_DOMAIN in ses.list_identities()["Identities"])
    configuration_set = r.output(INFRA_STACK, "ConfigurationSetName")
    destinations = ses.describe_configuration_set(ConfigurationSetName=configuration_set,
                                                  ConfigurationSetAttributeNames=["eventDestinations"])
    report.equal("SES configuration set sends bounces, complaints, rejects, rendering failures",
                 [(d["Name"], d["Enabled"], sorted(d["MatchingEventTypes"])) for d in destinations["EventDestinations"]],
                 [("feedback-to-sns", True, ["bounce", "complaint", "reject", "renderingFailure"])])
    report.skip("SES event destination names the feedback topic",
                "moto's DescribeConfigurationSet leaves SnsDestination out")
    active = ses.describe_active_receipt_rule_set()
    report.equal("SES active receipt rule set", active.get("Metadata", {}).get("Name"), f"irai-{STAGE}-inbound")
    bounces = [(rule["Recipients"], action["BounceAction"]["SmtpReplyCode"], action["BounceAction"]["StatusCode"],
                SITE_URL in action["BounceAction"]["Message"])
               for rule in active.get("Rules", []) if rule.get("Enabled")
               for action in rule["Actions"] if "BounceAction" in action]
    report.equal("SES receipt rule bounces mail to no-reply with 550 5.1.1 naming the site", bounces,
                 [([NO_REPLY], "550", "5.1.1", True)])
    del sesv2

    sns = r.client("sns")
    topics = {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]}
    report.check("SNS topics irai-prod-mail-feedback and irai-prod-alarms",
                 {f"irai-{STAGE}-mail-feedback", f"irai-{STAGE}-alarms"} <= topics, str(sorted(topics)))
    report.skip("feedback topic policy (only SES of this account publishes)",
                "moto's CloudFormation does not model AWS::SNS::TopicPolicy")
    report.skip("AlarmEmail subscription to the alarm topic",
                "moto's CloudFormation does not model AWS::SNS::Subscription")

    logs = r.client("logs")
    groups = {g["logGroupName"]: g.get("retentionInDays")
              for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/irai-{STAGE}")["logGroups"]}
    report.equal("log groups of the three functions, 90 days", groups,
                 {f"/aws/lambda/{name}": LOG_RETENTION_DAYS for name in FUNCTIONS.values()})
    report.skip("metric filters counting ERROR lines", "moto's CloudFormation does not model AWS::Logs::MetricFilter")
    report.skip("alarms (Lambda errors and throttles, DynamoDB throttles, ERROR lines, SES rates)",
                "moto's CloudFormation does not model AWS::CloudWatch::Alarm")


def alarm_function_dimensions(template: dict) -> dict[str, set[str]]:
    """{alarm: function names its FunctionName dimensions name} in infra/template.yaml, for STAGE."""
    found: dict[str, set[str]] = {}

    def walk(value, alarm):
        if isinstance(value, dict):
            if value.get("Name") == "FunctionName" and "Value" in value:
                name = value["Value"]
                name = name.get("Fn::Sub", name) if isinstance(name, dict) else name
                found.setdefault(alarm, set()).add(name.replace("${Stage}", STAGE))
            for item in value.values():
                walk(item, alarm)
        elif isinstance(value, list):
            for item in value:
                walk(item, alarm)

    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            walk(resource["Properties"], logical_id)
    return found


def check_app(r: Rehearsal, *, code_sha: dict[str, str] | None = None) -> dict[str, str]:
    """The functions, roles, schedule, subscription and REST API chalice deployed; returns each
    function's CodeSha256."""
    report = r.report
    print("\nChecks: the app")
    config = r.config()
    expected_env = dict(config["environment_variables"])
    expected_env.update(config["stages"][STAGE]["environment_variables"])
    policy = json.loads((r.project / ".chalice" / f"policy-{STAGE}.json").read_text(encoding="utf-8"))
    lambda_ = r.client("lambda")
    iam = r.client("iam")
    sam = json.loads((r.project / "dist" / "sam.json").read_text(encoding="utf-8"))
    sam_handlers = {res["Properties"]["FunctionName"]: res["Properties"]["Handler"] for res in sam["Resources"].values()
                    if res["Type"] == "AWS::Serverless::Function"}
    shas = {}
    for handler, name in FUNCTIONS.items():
        function = lambda_.get_function_configuration(FunctionName=name)
        shas[name] = function["CodeSha256"]
        report.equal(f"{name}: handler is the one dist/sam.json names", function["Handler"], sam_handlers.get(name))
        report.equal(f"{name}: memory, timeout", (function["MemorySize"], function["Timeout"]),
                     (config["lambda_memory_size"], config["lambda_timeout"]))
        report.equal(f"{name}: environment is the stage's settings", function["Environment"]["Variables"], expected_env)
        report.check(f"{name}: settings name the stack's resources",
                     function["Environment"]["Variables"]["IRAI_TABLE"] == r.output(INFRA_STACK, "TableName")
                     and function["Environment"]["Variables"]["IRAI_BUCKET"]
                     == r.output(INFRA_STACK, "AttachmentsBucketName"))
        role = function["Role"].rsplit("/", 1)[1]
        policies = iam.list_role_policies(RoleName=role)["PolicyNames"]
        documents = [iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"] for p in policies]
        documents = [json.loads(d) if isinstance(d, str) else d for d in documents]
        report.equal(f"{name}: role {role}'s policy is .chalice/policy-{STAGE}.json", documents, [policy])
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        report.equal(f"{name}: role {role} has no other policy", attached, [])
        if code_sha is not None:
            report.check(f"{name}: the upgrade replaced the code", shas[name] != code_sha[name],
                         f"CodeSha256 still {shas[name]}")
    # The zip chalice uploaded is the one in the copy's .chalice/deployments with that digest.
    uploaded = [path for path in (r.project / ".chalice" / "deployments").glob("*.zip")
                if base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode() == shas[FUNCTIONS["api_handler"]]]
    report.check("chalice uploaded the zip make package gave bytecode", len(uploaded) == 1 and any(
        n.startswith("chalicelib/") and n.endswith(".pyc") for n in zipfile.ZipFile(uploaded[0]).namelist()),
        f"{len(uploaded)} zip(s) of .chalice/deployments match the function's CodeSha256")

    events = r.client("events")
    rules = [rule for rule in events.list_rules()["Rules"] if rule["Name"].startswith(FUNCTIONS["deliver_mail"])]
    targets = [t["Arn"].rsplit(":", 1)[1] for rule in rules
               for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]]
    report.equal("deliver_mail runs every minute", [(rule["ScheduleExpression"], rule["State"]) for rule in rules],
                 [("rate(1 minute)", "ENABLED")])
    report.equal("the schedule targets deliver_mail", targets, [FUNCTIONS["deliver_mail"]])
    topic = f"arn:aws:sns:{r.region}:123456789012:{expected_env['IRAI_MAIL_FEEDBACK_TOPIC']}"
    subscriptions = r.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    report.equal("mail_feedback is subscribed to the feedback topic",
                 [(s["Protocol"], s["Endpoint"].rsplit(":", 1)[1]) for s in subscriptions],
                 [("lambda", FUNCTIONS["mail_feedback"])])

    from localdev.provision import load_template

    dimensions = alarm_function_dimensions(load_template(r.project / "infra" / "template.yaml"))
    report.check("infra/template.yaml's alarm dimensions name exactly the deployed functions",
                 dimensions and all(names == set(FUNCTIONS.values()) for names in dimensions.values()),
                 str(dimensions))

    check_rest_api(r, upgrade=code_sha is not None)
    return shas


def app_routes(project: Path, settings: dict[str, str]) -> set[tuple[str, str]]:
    """(path, method) of every route of the project's app, from its own route table (the app
    reads its stage's settings on import)."""
    probe = ("import json, app; print(json.dumps(sorted([p, m] for p, methods in app.app.routes.items() "
             "for m in methods)))")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **settings}
    out = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", probe], cwd=project, env=env,
                         check=True, capture_output=True, text=True).stdout
    return {tuple(route) for route in json.loads(out.splitlines()[-1])}


def check_rest_api(r: Rehearsal, *, upgrade: bool) -> None:
    report = r.report
    apigateway = r.client("apigateway")
    rest_api_id = r.deployed()["rest_api"]["rest_api_id"]
    resources = apigateway.get_resources(restApiId=rest_api_id, limit=500)["items"]
    deployed = {(res["path"], method) for res in resources for method in res.get("resourceMethods", {})}
    config = r.config()
    expected = app_routes(r.project, {**config["environment_variables"], **config["stages"][STAGE]["environment_variables"]})
    report.check("REST API routes are app.routes", deployed == expected,
                 f"missing {sorted(expected - deployed)[:5]}, extra {sorted(deployed - expected)[:5]}")
    from ops.merge_template import gateway_responses

    wanted = gateway_responses()["MISSING_AUTHENTICATION_TOKEN"]
    try:
        response = apigateway.get_gateway_response(restApiId=rest_api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    except apigateway.exceptions.NotFoundException:
        response = {}
    report.equal("unknown URLs get the 404 page (gateway response)",
                 (response.get("statusCode"), response.get("responseTemplates"), response.get("responseParameters")),
                 (str(wanted["statusCode"]), wanted["responseTemplates"], wanted["responseParameters"]))
    stages = {s["stageName"] for s in apigateway.get_stages(restApiId=rest_api_id)["item"]}
    report.check("the API stage api is deployed", r.config()["stages"][STAGE]["api_gateway_stage"] in stages, str(stages))
    if not upgrade:
        report.skip("GET /health answers ok", "moto runs no Lambda code here (it would need Docker), and DNS is manual")


def check_deleted(r: Rehearsal) -> None:
    report = r.report
    print("\nChecks: after chalice delete and the infra stack's deletion")
    names = {f["FunctionName"] for f in r.client("lambda").list_functions()["Functions"]}
    report.equal("no function is left", names & set(FUNCTIONS.values()), set())
    report.equal("no REST API is left", [a["name"] for a in r.client("apigateway").get_rest_apis()["items"]], [])
    roles = [role["RoleName"] for role in r.client("iam").list_roles()["Roles"] if role["RoleName"].startswith(APP_NAME)]
    report.equal("no role is left", roles, [])
    report.check("the table is kept (Retain)", f"irai-{STAGE}" in r.client("dynamodb").list_tables()["TableNames"])
    buckets = [b["Name"] for b in r.client("s3").list_buckets()["Buckets"]]
    report.check("the bucket is kept (Retain)", f"irai-{STAGE}-attachments-123456789012" in buckets, str(buckets))


def references(value) -> set[str]:
    """The logical ids a template fragment names through Ref, Fn::GetAtt and Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def rehearse_one_stack(r: Rehearsal) -> None:
    """dist/sam.json as one stack, as far as moto's CloudFormation goes: it has no AWS::Serverless
    transform (no type of it is modelled), so the stack itself is refused; the packaging step and
    the template's own half (infra/template.yaml merged for the stage) are rehearsed."""
    report = r.report
    print("\nThe one-stack path (dist/sam.json), on a reset emulator")
    urllib.request.urlopen(urllib.request.Request(f"{r.endpoint_url}/moto-api/reset", method="POST")).read()
    r.run(next(c for c in COMMANDS if c.startswith("aws cloudformation package")))
    packaged = json.loads((r.project / "dist" / "packaged.json").read_text(encoding="utf-8"))
    functions = {logical_id: res for logical_id, res in packaged["Resources"].items()
                 if res["Type"] == "AWS::Serverless::Function"}
    s3 = r.client("s3")
    uploaded = {res["Properties"]["CodeUri"] for res in functions.values()}
    report.check("aws cloudformation package: every function's CodeUri is an uploaded object",
                 all(uri.startswith("s3://") for uri in uploaded) and all(
                     s3.head_object(Bucket=uri[5:].split("/", 1)[0], Key=uri[5:].split("/", 1)[1])
                     for uri in uploaded), str(uploaded))
    try:
        r.run(next(c for c in COMMANDS if c.startswith("aws cloudformation deploy --template-file dist/")))
        report.check("the one-stack deployment", False, "moto now accepts it: rehearse its resources here")
    except Exception as error:  # noqa: BLE001 - what moto answers is the finding
        serverless = sorted({res["Type"] for res in packaged["Resources"].values()
                             if res["Type"].startswith("AWS::Serverless::")})
        report.skip(f"the one-stack deployment ({', '.join(serverless)} under Transform {packaged.get('Transform')})",
                    "moto's CloudFormation has no Serverless transform and models none of these types; it "
                    f"refuses the stack ({type(error).__name__})")
    # The template's own half: what does not need the transform (nor refers to what does).
    half = {k: v for k, v in packaged.items() if k != "Transform"}
    removed = {k for k, v in packaged["Resources"].items() if v["Type"].startswith("AWS::Serverless::")}
    while True:
        more = {k for k, v in packaged["Resources"].items() if k not in removed and references(v) & removed}
        if not more:
            break
        removed |= more
    half["Resources"] = {k: v for k, v in packaged["Resources"].items() if k not in removed}
    half["Outputs"] = {k: v for k, v in packaged.get("Outputs", {}).items() if not references(v) & removed}
    print(f"    (without {', '.join(sorted(removed))})")
    cloudformation = r.client("cloudformation")
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items() if k != "Stage"]
    cloudformation.create_stack(StackName=f"{ONE_STACK}-infra-half", TemplateBody=json.dumps(half),
                                Parameters=parameters)
    status = r.wait_for_stack(f"{ONE_STACK}-infra-half")
    report.equal("dist/sam.json without its Serverless resources creates with the README's parameters "
                 "(Stage defaults to prod)", status, "CREATE_COMPLETE")
    names = {res["LogicalResourceId"] for res in cloudformation.list_stack_resources(
        StackName=f"{ONE_STACK}-infra-half")["StackResourceSummaries"]}
    from localdev.provision import load_template

    from localdev.moto_patches import UNMODELLED_TYPES

    infra = load_template(r.project / "infra" / "template.yaml")["Resources"]
    modelled = {k for k, v in infra.items() if v["Type"] not in UNMODELLED_TYPES}
    report.check("it has infra/template.yaml's resources (those moto models)", modelled <= names,
                 f"missing {sorted(modelled - names)}")
    iam = r.client("iam")
    policy = json.loads((r.project / ".chalice" / f"policy-{STAGE}.json").read_text(encoding="utf-8"))
    roles = {k: v for k, v in half["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    for logical_id in sorted(roles):
        role = r.client("cloudformation").describe_stack_resource(
            StackName=f"{ONE_STACK}-infra-half", LogicalResourceId=logical_id)["StackResourceDetail"]["PhysicalResourceId"]
        documents = [iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                     for name in iam.list_role_policies(RoleName=role)["PolicyNames"]]
        documents = [json.loads(d) if isinstance(d, str) else d for d in documents]
        report.equal(f"dist/sam.json's {logical_id} has .chalice/policy-{STAGE}.json", documents, [policy])
    stage = cloudformation.describe_stacks(StackName=f"{ONE_STACK}-infra-half")["Stacks"][0]["Parameters"]
    report.equal("its Stage is prod", {p["ParameterKey"]: p["ParameterValue"] for p in stage}.get("Stage"), STAGE)
    report.skip("the functions, REST API, 404 gateway response, schedule and SNS subscription of "
                "dist/sam.json", "they exist only after the Serverless transform, which moto lacks "
                "(tests/packaging/test_package.py checks them in the template)")


def rehearse(project: Path, endpoint_url: str, region: str) -> Report:
    report = Report()
    r = Rehearsal(project, endpoint_url, report, region)
    step = r.run
    print(f"Rehearsing the README's deployment in {project} against the emulator at {endpoint_url}")
    make_deploy = subprocess.run(["make", "-n", "deploy", f"STAGE={STAGE}"], cwd=project, env=r.env,
                                 capture_output=True, text=True, check=True).stdout
    lines = make_deploy.replace("\\\n", " ").splitlines()
    missing = [entry for entry in MAKE_DEPLOY_RUNS
               if not any(all(word in line for word in ("chalice package" if entry == "make package" else entry).split())
                          for line in lines)]
    report.check("`make deploy STAGE=prod` runs what the README says it runs", not missing,
                 f"`make -n deploy STAGE={STAGE}` lacks {missing}")
    committed = (ROOT / ".chalice" / "config.json").read_bytes()

    step("export AWS_REGION=<region> AWS_DEFAULT_REGION=<region>")
    infra = next(c for c in COMMANDS if c.startswith("aws cloudformation deploy --template-file infra/"))
    step(infra)
    step("aws ses set-active-receipt-rule-set --rule-set-name irai-prod-inbound")
    step("aws sesv2 get-email-identity --email-identity mail.example.co.jp --query DkimAttributes.Tokens")
    for command, why in MANUAL.items():
        if command.startswith("aws sesv2"):
            report.skip(command, why)
    step("make .venv/.installed")
    step(".venv/bin/python -m ops.stage_settings --stage prod --stack irai-prod-infra")
    report.equal("the stage's bucket setting came from the stack",
                 r.config()["stages"][STAGE]["environment_variables"]["IRAI_BUCKET"],
                 r.output(INFRA_STACK, "AttachmentsBucketName"))
    for command, why in MANUAL.items():
        if command.startswith(("aws acm", "aws apigateway")):
            report.skip(command, why)
    step("make deploy STAGE=prod")
    report.skip(next(c for c in MANUAL if c.startswith("curl")), MANUAL[next(c for c in MANUAL if c.startswith("curl"))])
    check_infra(r)
    shas = check_app(r)
    out = step(".venv/bin/python -m ops.create_admin --stage prod --user-id admin01 --email owner@agency.co.jp")
    report.check("ops.create_admin created admin01", "Created agency admin admin01." in out, out[-300:])
    step(".venv/bin/python -m ops.index_emails --stage prod")
    step(".venv/bin/python -m ops.index_search --stage prod")
    step("aws sns subscribe --topic-arn <arn> --protocol email --notification-endpoint ...")

    print("\nUpgrade: a new release (a change to app.py), then steps 1, 3 and 5 again")
    with open(project / "app.py", "a", encoding="utf-8") as f:
        f.write("\n# deploy rehearsal: the next release\n")
    step("aws dynamodb create-backup --table-name irai-prod --backup-name before-<release>")
    table_created = r.client("dynamodb").describe_table(TableName=f"irai-{STAGE}")["Table"]["CreationDateTime"]
    rest_api_id = r.deployed()["rest_api"]["rest_api_id"]
    step(infra)
    step(".venv/bin/python -m ops.stage_settings --stage prod --stack irai-prod-infra")
    step("make deploy STAGE=prod")
    report.equal("the upgrade kept the table", r.client("dynamodb").describe_table(
        TableName=f"irai-{STAGE}")["Table"]["CreationDateTime"], table_created)
    report.equal("the upgrade kept the REST API (same id)", r.deployed()["rest_api"]["rest_api_id"], rest_api_id)
    check_app(r, code_sha=shas)
    step("aws dynamodb restore-table-to-point-in-time --source-table-name irai-prod "
         "--target-table-name irai-prod-restored --restore-date-time <time>")
    report.check("point-in-time restore made irai-prod-restored",
                 f"irai-{STAGE}-restored" in r.client("dynamodb").list_tables()["TableNames"])

    step(".venv/bin/chalice delete --stage prod")
    step("aws cloudformation delete-stack --stack-name irai-prod-infra")
    check_deleted(r)
    report.equal("the committed .chalice/config.json is untouched", (ROOT / ".chalice" / "config.json").read_bytes(),
                 committed)

    rehearse_one_stack(r)
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the project's copy (its path is printed)")
    args = parser.parse_args(argv)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]  # nothing of a developer's AWS set-up reaches this process's clients either
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    import logging
    import warnings

    from localdev import emulator, moto_patches

    warnings.filterwarnings("ignore", message="Tried to parse")  # reported as "not rehearsed" instead
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's 500 answers are reported
    moto_patches.apply()  # in this process, where the emulator's server runs
    emu = emulator.start()
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="irai-rehearsal-"))
    try:
        report = rehearse(copy_project(workdir / "irai"), emu.endpoint_url, emulator.REGION)
    except StepFailed as error:
        print(f"\nFAILED: {error}")
        return 1
    finally:
        emu.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nThe copy is kept in {workdir}")
    print(f"\n{len(report.passed)} checks passed, {len(report.failed)} failed, "
          f"{len(report.not_rehearsed)} not rehearsed:")
    for name in report.not_rehearsed:
        print(f"  not rehearsed: {name}")
    for name in report.failed:
        print(f"  FAILED: {name}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------- the README's commands

REHEARSAL_HEADING = "\n### The deploy rehearsal"
COMMAND_WORDS = ("aws ", "make ", ".venv/bin/", "python ", "chalice ", "curl ", "export ")


def readme_deploy_commands(readme: str) -> list[str]:
    """The commands of the README's "Deploying to AWS" section (up to its rehearsal's own
    description): each line of its ``sh`` blocks (continuations joined, trailing comments
    dropped) and each inline code span that starts with a command, whitespace collapsed."""
    section = readme.split("\n## Deploying to AWS", 1)[1].split("\n## ", 1)[0].split(REHEARSAL_HEADING, 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line:
                commands.append(" ".join(line.split()))
    inline = re.sub(r"```sh\n.*?```", "", section, flags=re.S)
    for span in re.findall(r"`([^`]+)`", inline):
        span = " ".join(span.split())
        if span.startswith(COMMAND_WORDS):
            commands.append(span)
    return commands


def uncovered(commands: list[str]) -> list[str]:
    """README commands that are neither run by the rehearsal (as written, or as the start of one
    it runs) nor listed in MANUAL."""
    runs = [*COMMANDS, *MAKE_DEPLOY_RUNS]
    return [c for c in commands
            if not any(r == c or r.startswith(c + " ") for r in runs) and not c.startswith(tuple(MANUAL))]
