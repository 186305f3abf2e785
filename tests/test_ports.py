"""The test servers' ports: never the same one twice (two servers cannot share one)."""

from __future__ import annotations

from tests.ports import free_port


def test_ports_asked_for_in_a_row_are_all_different() -> None:
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)
