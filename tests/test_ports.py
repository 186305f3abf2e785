"""The test servers' ports: never the same one twice (two servers cannot share one)."""

from __future__ import annotations

from tests.ports import free_port, worker_range


def test_ports_asked_for_in_a_row_are_all_different() -> None:
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_each_xdist_worker_has_ports_of_its_own_below_the_ephemeral_range() -> None:
    first, second = worker_range("gw0"), worker_range("gw1")
    assert first is not None and second is not None
    assert not set(first) & set(second)
    assert max(second) < 32768
    assert worker_range(None) is None and worker_range("master") is None
