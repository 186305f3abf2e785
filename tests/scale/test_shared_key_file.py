"""A gateway joins a deployment only with its API key file: one started with another
``--api-key-file`` on a fresh deployment (no API key yet, so no stored secret to try) used
to join in silence, and a key created on one gateway answered -2015 on the other. The first
gateway records the key file's fingerprint (the engine holds no key file), and a gateway
whose key file differs exits with status 1 saying why, before any key exists."""

from __future__ import annotations

from pathlib import Path

from tests.scale.cluster import Cluster, Role
from tests.scale.helpers import call

REFUSAL = "velox: the API key file {} is not the one the other processes on this database use"


async def test_a_gateway_with_another_key_file_refuses_to_start_before_any_key_exists(
    cluster: Cluster, tmp_path: Path
) -> None:
    other = tmp_path / "other" / "api_keys.key"
    stray = Role(
        "gateway", "stray", cluster.db_url, cluster.nats.url, tmp_path,
        ("--api-key-file", str(other)),
    )  # fmt: skip
    assert await stray.exit_status_before_ready() == 1, stray.log_tail()
    last = stray.log_tail().strip().splitlines()[-1]
    assert last.startswith(REFUSAL.format(other)), stray.log_tail()

    for base in cluster.bases:  # the deployment's own gateways are untouched
        status, _ = await call(base, "GET", "/healthz")
        assert status == 200
