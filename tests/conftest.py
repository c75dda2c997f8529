"""Fixtures shared by every tier of tests.

One embedded AWS (moto over HTTP, in-process) serves the whole session; the app is imported
only after the environment points at it. `--aws-backend=localstack` runs the same suite against
LocalStack through pytest-localstack where a Docker engine exists (see README).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localdev import emulator, provision, stack

TEST_BCRYPT_ROUNDS = "4"  # production uses 12; tests stay fast through configuration
# The IAM policy allows every AWS call the app makes; the logs hold no password, token or mail.
pytest_plugins = ["tests.support.aws_audit", "tests.support.log_audit"]


# Under pytest-xdist (`make test`, --dist loadfile) a file is the unit of work, handed to whichever
# worker is free in collection order. The long walks (security, browser) and the package builds go
# first, so that no worker is left alone with one of them at the end while the other is idle.
FIRST = ("security", "browser", "packaging", "integration", "js", "unit")


def pytest_collection_modifyitems(session, config, items):
    """Order the files by folder as FIRST says; the order within a folder and a file is kept."""
    root = Path(__file__).resolve().parent

    def folder(item) -> int:
        parts = Path(str(item.path)).resolve().relative_to(root).parts
        return FIRST.index(parts[0]) if len(parts) > 1 and parts[0] in FIRST else len(FIRST)

    items.sort(key=folder)


def pytest_addoption(parser):
    parser.addoption("--aws-backend", choices=("moto", "localstack"), default="moto",
                     help="emulator behind the integration tests (LocalStack needs Docker)")


@pytest.fixture(scope="session")
def aws(request, tmp_path_factory):
    """The emulated AWS for the session, with the resources of infra/template.yaml."""
    backend = request.config.getoption("--aws-backend")
    if backend == "localstack":
        from tests.support.localstack import start_localstack
        endpoint, stop = start_localstack()
        emulator.use_endpoint(endpoint)
        os.environ["IRAI_EMULATOR"] = "localstack"  # the mailbox reads LocalStack's SES log
    else:
        moto = emulator.start(port=0)
        stop = moto.stop
    resources = provision.provision(provision.default_local_params("http://127.0.0.1:8000"))
    # 15 s rather than local mode's 30: long enough for the concurrency tests' queue at the
    # emulator, short enough that the fault test answering after the timeout stays quick.
    stack.configure_environment("http://127.0.0.1:8000", resources, IRAI_BCRYPT_ROUNDS=TEST_BCRYPT_ROUNDS,
                                IRAI_DYNAMODB_READ_TIMEOUT_SECONDS="15")
    from tests.support.factories import complete_agency_settings
    complete_agency_settings()  # the first start done: companies can be created (issue 16, item 6)
    yield resources
    stop()


@pytest.fixture(scope="session")
def app(aws):
    from app import app as chalice_app
    from chalicelib import cold_start

    cold_start.load_all()  # tests run the app on several threads (chalicelib/cold_start.py)
    return chalice_app


@pytest.fixture(scope="session")
def test_project_dir(aws, tmp_path_factory) -> Path:
    """A Chalice project dir whose `test` stage carries this session's settings.

    chalice.test.Client applies a stage's variables during each request; pointing it at the
    real config would swap the emulator's resource names for the dev stage's.
    """
    folder = tmp_path_factory.mktemp("chalice-project")
    (folder / ".chalice").mkdir()
    settings = {name: value for name, value in os.environ.items() if name.startswith("IRAI_")}
    config = {"version": "2.0", "app_name": "irai",
              "stages": {"test": {"environment_variables": settings}}}
    (folder / ".chalice" / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def client(app, test_project_dir):
    from chalice.test import Client
    with Client(app, stage_name="test", project_dir=str(test_project_dir)) as test_client:
        yield test_client


@pytest.fixture
def web(client):
    """A cookie-keeping user agent over chalice.test.Client."""
    from tests.support.agent import Agent
    return Agent(client)


@pytest.fixture(scope="session")
def live_server(app):
    """The app over real HTTP (the same server `make run` uses) on a free port."""
    server = stack.serve(app, port=0)
    # The bucket's CORS rule names the site's origin, as the infra stack does for its SiteUrl.
    provision.provision({**provision.default_local_params(server.url)})
    previous = os.environ["IRAI_SITE_URL"]
    os.environ["IRAI_SITE_URL"] = server.url
    yield server
    os.environ["IRAI_SITE_URL"] = previous
    server.stop()


@pytest.fixture
def make_user(aws):
    """Factory: an account with a known password (PASSWORD) and no forced change, unless asked."""
    from tests.support.factories import make_user as factory
    return factory


@pytest.fixture
def no_faults():
    """No fault injected at the emulator is left from a test before, or to one after."""
    emulator.FAULTS.clear()
    yield
    emulator.FAULTS.clear()


@pytest.fixture
def no_urgency_rules(aws):
    """The 特急料金 rules and closed days are the agency's one item: a test that sets them starts
    from none and leaves none behind."""
    from chalicelib.models.urgency import UrgencySettings

    UrgencySettings(*UrgencySettings.KEYS).delete(add_version_condition=False)
    yield
    UrgencySettings(*UrgencySettings.KEYS).delete(add_version_condition=False)
