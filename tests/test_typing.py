"""The matching engine type-checks under ``mypy --strict`` (configuration in pyproject.toml)."""
from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_matching_type_checks_strictly():
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--strict",
                                      "--cache-dir", str(ROOT / ".mypy_cache"), str(ROOT / "matching")])
    assert status == 0, stdout + stderr
    assert "Success" in stdout
