"""schemathesis against the API document (SPEC section 17): every check, every phase,
stateful included, with a signed-in user, finds no failure.

The server runs on a real socket (``live.LiveServer``) with fresh prices all along and a
large balance, so generated orders really open and the stateful phase goes on to read,
modify, add margin to and close them. The configuration (credentials, the statuses that
count as success) is ``schemathesis.toml`` beside this file, the one a person would use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import engine
from schemathesis.engine import events

from tests.web.conftest import FAST
from tests.web.helpers import PASSWORD
from tests.web.live import LiveServer
from velox.config import Settings

CONFIG = Path(__file__).with_name("schemathesis.toml")
ADMIN_TOKEN = "an admin token for the schemathesis run"
PRICES = {"BTCUSDT": "100000", "ETHUSDT": "3000", "SOLUSDT": "150"}
EXAMPLES = int(os.environ.get("VELOX_SCHEMATHESIS_EXAMPLES", "15"))  # per operation and phase
SEED = 1


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("schemathesis")
    settings = Settings(
        data_dir=str(data),
        db=f"sqlite:///{data / 'velox.db'}",
        rate_limit_auth=0,
        rate_limit_orders=0,
        rate_limit_public=0,
        initial_balance="1000000000000",  # room for the margins schemathesis draws
        admin_token=ADMIN_TOKEN,
        snapshot_interval=3600.0,
        dev=True,
    )
    with LiveServer(settings, PRICES, FAST) as server:
        yield server


@pytest.fixture(scope="module")
def token(live: LiveServer) -> str:
    """The signed-in user schemathesis acts as."""
    signup = requests.post(
        f"{live.url}/api/v1/user/signup",
        json={"email": "schemathesis@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    session: str = signup.json()["token"]
    return session


def _drop_upgraded_socket(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
    """After a 101 the socket speaks websocket: requests would pool it and write the next
    request into the websocket. Closing it makes the pool open a fresh connection."""
    if response.status_code == 101:
        response.raw.close()


def _hook_responses(_context: Any, _case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    kwargs["hooks"] = {"response": [_drop_upgraded_socket]}


def run_schemathesis(schema: Any) -> tuple[list[str], dict[str, str]]:
    """Run schemathesis's engine (what ``st run`` drives): every phase, every check. Returns
    each failure or error with the request that reproduces it, and how each phase ended."""
    found: list[str] = []
    phases: dict[str, str] = {}
    schemathesis.hook("before_call")(_hook_responses)
    try:
        stream = list(engine.from_schema(schema).execute())
    finally:
        schemathesis.hooks.unregister(_hook_responses)
    for event in stream:
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(
                            f"{failure.code} {failure.operation}: {failure.title}\n"
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            found.append(f"error in {event.label}: {event.info}\n{event.info.code_sample}")
        elif isinstance(event, events.PhaseFinished):
            phases[event.phase.name.value] = event.status.value
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            found.extend(f"{f.code} {f.operation}: {f.message}" for f in event.failures)
    return sorted(set(found)), phases


def load_schema(live: LiveServer, token: str, config: dict[str, Any]) -> Any:
    """The served document, with ``config`` (``schemathesis.toml``'s form) and the tokens."""
    variables = {"VELOX_SESSION_TOKEN": token, "VELOX_ADMIN_TOKEN": ADMIN_TOKEN}
    # The account selector (X-Velox-Account / ?account=) names the user's own account half
    # the time: a random account id is another user's (404), and the run would never get
    # past it to the business rules.
    auth = {"Authorization": f"Bearer {token}"}
    accounts = requests.get(f"{live.url}/api/v1/accounts", headers=auth, timeout=10).json()
    own = {"dictionary": "accounts", "probability": 0.5}
    config = {
        **config,
        "dictionaries": {"accounts": {"values": [a["accountId"] for a in accounts["accounts"]]}},
        "parameters": {"header.X-Velox-Account": own, "query.account": own},
    }
    with pytest.MonkeyPatch.context() as env:
        for name, value in variables.items():
            env.setenv(name, value)
        loaded = schemathesis.Config.from_dict(config)
    schema = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json", config=loaded)
    schema.config.generation.update(max_examples=EXAMPLES, database="none")
    schema.config.seed = SEED  # the same cases every run: a failure here is never luck
    return schema


def contract() -> dict[str, Any]:
    with CONFIG.open("rb") as toml:
        return tomllib.load(toml)


def test_the_api_document_is_exactly_true(live: LiveServer, token: str) -> None:
    """Signout-all is left out: with the session it is sent (unlike signout, which the
    document lists with no security) it would end every session of the user, and the run
    would go on unauthorised (tests/web/test_openapi.py checks its answers)."""
    schema = load_schema(live, token, contract()).exclude(operation_id="signout_all")
    failures, phases = run_schemathesis(schema)
    assert not failures, "\n\n".join(failures)
    tested = {name: phases.get(name) for name in ("coverage", "fuzzing", "stateful")}
    assert tested == dict.fromkeys(tested, "success"), phases  # ran, not skipped
    # The run reached the business rules: orders were placed for real (in any of the
    # accounts it made, which it then names with X-Velox-Account / ?account=).
    auth = {"Authorization": f"Bearer {token}"}
    accounts = requests.get(f"{live.url}/api/v1/accounts", headers=auth, timeout=10).json()
    orders = [
        requests.get(
            f"{live.url}/api/v1/order/user/orders?status={status}&account={account['accountId']}",
            headers=auth,
            timeout=10,
        ).json()["orders"]
        for account in accounts["accounts"]
        for status in ("OPEN", "CLOSED", "PENDING", "CANCELLED", "FILLED", "EXPIRED", "REJECTED")
    ]
    balances = [
        requests.get(
            f"{live.url}/api/v1/order/user/balance?account={account['accountId']}",
            headers=auth,
            timeout=10,
        ).json()
        for account in accounts["accounts"]
    ]
    assert sum(map(len, orders)) > 0, (accounts, balances)


def test_a_bad_credential_beside_a_good_one_is_refused(live: LiveServer, token: str) -> None:
    """The session as a plain header on every request, as ``st run -H`` sends it: then
    schemathesis adds generated (invalid) session cookies, which must be refused rather
    than ignored. Signout and signout-all are left out: they would end the session."""
    config = contract()
    del config["auth"]["openapi"]["bearer"]
    config["headers"] = {"Authorization": "Bearer ${VELOX_SESSION_TOKEN}"}
    config["phases"] = {"stateful": {"enabled": False}}
    schema = load_schema(live, token, config).exclude(operation_id=["signout", "signout_all"])
    failures, _ = run_schemathesis(schema)
    assert not failures, "\n\n".join(failures)
