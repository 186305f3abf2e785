"""Secret files created once and whole, by processes starting at the same moment.

CI saw a gateway die at start: "api_keys.key does not hold a 32-byte key". Two gateways
shared one ``--api-key-file``; one created it (``O_EXCL``) and the other read it before the
first had written a byte. The session secret had the same race, where the loser got ""."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from velox.secretfile import SecretFileError
from velox.vault import KEY_BYTES, load_key
from velox.web.auth.sessions import SECRET_FILE, load_secret

RACERS = 8
ROUNDS = 15


def _vault_key(path: str, start: multiprocessing.synchronize.Barrier) -> bytes:
    start.wait()
    return load_key(Path(path))


def _session_secret(path: str, start: multiprocessing.synchronize.Barrier) -> str:
    start.wait()
    return load_secret(None, path)


@pytest.mark.parametrize("load", [_vault_key, _session_secret])
def test_processes_starting_together_all_get_one_whole_secret(tmp_path: Path, load: object) -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(RACERS) as pool:
        for round_ in range(ROUNDS):
            start = context.Manager().Barrier(RACERS)
            where = tmp_path / str(round_)
            target = where / "api_keys.key" if load is _vault_key else where
            results = pool.starmap(load, [(str(target), start)] * RACERS)  # type: ignore[arg-type]
            assert len(set(results)) == 1, results  # the same secret for every process
            assert results[0]
            if load is _vault_key:
                assert len(results[0]) == KEY_BYTES
            assert [p.name for p in where.iterdir()] == [
                "api_keys.key" if load is _vault_key else SECRET_FILE
            ]  # no temporary file left behind


def test_an_empty_session_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("\n")
    with pytest.raises(SecretFileError, match="is empty"):
        load_secret(None, tmp_path)
    assert load_secret("configured" * 4, tmp_path) == "configured" * 4
