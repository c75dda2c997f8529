"""`make deploy-rehearsal`: the README's deploy steps from an empty account against a fresh
emulator, and the checks of what they deployed (localdev/rehearsal.py). Runs it as the Makefile
does, in its own process (where the moto patches are applied and the emulator serves), and
reads its report."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from localdev import rehearsal
from tests.support.paths import ROOT

# Two package builds (pip downloads) on a shared 2-core machine; generous, not tuned.
REHEARSAL_TIMEOUT = 1200

# What the emulator cannot check: printed by name, never counted. A check that moves out of this
# list (moto learnt it) or into it (a check lost) must be a decision, so the list is pinned.
NOT_REHEARSED = {
    "the three DKIM tokens to publish",
    "aws sesv2 put-account-details",
    "aws sesv2 create-email-identity --email-identity you@agency.co.jp",
    "aws acm request-certificate",
    "aws acm describe-certificate",
    "aws apigateway create-domain-name",
    "aws apigateway create-base-path-mapping",
    "curl https://irai.example.co.jp/health",
    "bucket policy DenyInsecureTransport",
    "SES event destination names the feedback topic",
    "feedback topic policy (only SES of this account publishes)",
    "AlarmEmail subscription to the alarm topic",
    "metric filters counting ERROR lines",
    "alarms (Lambda errors and throttles, DynamoDB throttles, ERROR lines, SES rates)",
    "GET /health answers ok",
    "the one-stack deployment (AWS::Serverless::Api, AWS::Serverless::Function under Transform "
    "AWS::Serverless-2016-10-31)",
    "the functions, REST API, 404 gateway response, schedule and SNS subscription of dist/sam.json",
}


def test_the_readme_deployment_rehearses_from_an_empty_account():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IRAI_"))}
    result = subprocess.run([sys.executable, "-m", "localdev.rehearsal"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=REHEARSAL_TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    summary = re.search(r"^(\d+) checks passed, (\d+) failed, (\d+) not rehearsed:$", result.stdout, re.M)
    assert summary, output[-4000:]
    passed, failed, _ = map(int, summary.groups())
    assert failed == 0 and passed >= 90, output[-4000:]
    ran = re.findall(r"^\$ (.+)$", result.stdout, re.M)
    assert set(ran) == set(rehearsal.COMMANDS), "every README command the rehearsal knows was run"
    skipped = re.findall(r"^  not rehearsed: (.+) \((?:[^()]|\([^()]*\))*\)$", result.stdout, re.M)
    assert set(skipped) == NOT_REHEARSED, output[-4000:]
    assert not re.search(r"https?://(?!127\.0\.0\.1)[\w.-]+\.amazonaws\.com", "\n".join(
        line for line in result.stdout.splitlines() if not line.lstrip().startswith(("- Rest API URL", "ok", "$")))), \
        "no AWS endpoint but the emulator's may be named as contacted"
