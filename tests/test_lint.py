"""The code base stays ruff- and bandit-clean (configuration in pyproject.toml)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the dev extra)")
    return found


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "market", "matching", "tests", "wsgi.py", "loadtest"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_is_clean():
    result = subprocess.run([_tool("bandit"), "-q", "-r", "market", "matching", "-c", "pyproject.toml"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
