"""A gateway joins a deployment only with its session secret: one started without
``--jwt-secret`` (a secret of its own is generated) or with another one used to join in
silence, and every token issued by one gateway was 401 on the other (users signed out at
random behind a load balancer). It now exits with status 1 saying why, and the deployment's
tokens keep working on every gateway."""

from __future__ import annotations

from pathlib import Path

from tests.scale.cluster import Cluster, Role
from tests.scale.helpers import call, signup

REFUSAL = (
    "velox: the JWT secret (--jwt-secret, VELOX_JWT_SECRET, else <data-dir>/jwt_secret) is "
    "not the one the engine on this database signs sessions with"
)


async def test_a_gateway_without_the_deployments_secret_refuses_to_start(
    cluster: Cluster, tmp_path: Path
) -> None:
    token, _ = await signup(cluster.bases[0], "shared-secret@example.com")
    for name, env in (("unset", {}), ("other", {"VELOX_JWT_SECRET": "other-secret-" + "z" * 32})):
        stray = Role("gateway", name, cluster.db_url, cluster.nats.url, tmp_path, ())
        stray.env = env
        assert await stray.exit_status_before_ready() == 1, name
        assert stray.log_tail().strip().splitlines()[-1].startswith(REFUSAL), stray.log_tail()

    for base in cluster.bases:  # the token of one gateway is good on every one
        status, data = await call(base, "GET", "/api/v1/user/me", token)
        assert status == 200, data
