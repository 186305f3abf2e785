"""One engine per bus prefix, as real processes: a second ``velox engine`` on the same NATS
subjects, with a database of its own (so the writer lock cannot stop it), used to start and
answer half the commands; it now exits with status 1 naming the live engine, and the
deployment trades on."""

from __future__ import annotations

from pathlib import Path

from tests.scale.cluster import Cluster, Role
from tests.scale.helpers import open_order, signup


async def test_a_second_engine_on_the_same_bus_prefix_exits_naming_the_first(
    cluster: Cluster, tmp_path: Path
) -> None:
    stray = Role(
        "engine", "stray", f"sqlite:///{tmp_path / 'stray.db'}", cluster.nats.url, tmp_path, ()
    )
    assert await stray.exit_status_before_ready() == 1
    refusal = stray.log_tail().strip().splitlines()[-1]
    assert refusal.startswith("velox: another velox engine is already running on bus prefix")
    assert cluster.engine.proc is not None
    assert f"pid {cluster.engine.proc.pid} " in refusal, refusal

    token, _ = await signup(cluster.bases[0], "one-engine@example.com")
    for base in cluster.bases * 5:  # every open is the one engine's, read back on any gateway
        status, data = await open_order(base, token, margin="1")
        assert status == 201, data
