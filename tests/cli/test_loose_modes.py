"""Secret files readable by others (``jwt_secret``, ``api_keys.key`` at 0644, the data directory
at 0755, as after restoring a backup) are used, but not silently: one WARNING per file at
start, naming it and its mode."""

from __future__ import annotations

from pathlib import Path

from tests.cli.serving import run_once


def test_loose_modes_are_warned_once_per_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_once(data)  # creates the directory, the secret and the key, privately
    assert "group or others" not in run_once(data)
    data.chmod(0o755)
    (data / "jwt_secret").chmod(0o644)
    (data / "api_keys.key").chmod(0o640)
    log = run_once(data)
    warnings = [line for line in log.splitlines() if "group or others can read it" in line]
    assert sorted(w.split(" WARNING velox.secretfile: ", 1)[1] for w in warnings) == sorted([
        f"{data} is mode 0755: group or others can read it; it should be 0700 (chmod 700 {data})",
        f"{data}/jwt_secret is mode 0644: group or others can read it; it should be 0600 "
        f"(chmod 600 {data}/jwt_secret)",
        f"{data}/api_keys.key is mode 0640: group or others can read it; it should be 0600 "
        f"(chmod 600 {data}/api_keys.key)",
    ])  # fmt: skip
