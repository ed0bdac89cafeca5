"""The engine stays pure: no web framework, no database, cheap to import; its examples run."""

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest

import matching

ENGINE_MODULES = ["matching.types", "matching.text", "matching.score", "matching.candidates",
                  "matching.solvers", "matching.optimize"]
#: Every module of the engine and its packages (participatory budgeting and benchmarks have their own tests).
ALL_ENGINE_MODULES = sorted({info.name for info in pkgutil.walk_packages(matching.__path__, "matching.")
                             if not info.name.startswith(("matching.pb", "matching.bench"))
                             and info.name not in ("matching.classify", "matching.funding")} | set(ENGINE_MODULES))


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def test_import_matching_loads_neither_flask_nor_sqlalchemy():
    loaded = _loaded_after("import matching")
    assert not {m for m in loaded if m.split(".")[0] in ("flask", "sqlalchemy")}


def test_import_matching_is_cheap():
    loaded = _loaded_after("import matching")
    heavy = {"numpy", "scipy", "pulp", "jieba", "rapidfuzz", "highspy"}
    assert not {m for m in loaded if m.split(".")[0] in heavy}


def test_the_whole_engine_loads_neither_flask_nor_sqlalchemy():
    loaded = _loaded_after("import " + ", ".join(ENGINE_MODULES) +
                           "\nfrom matching import solve, generate_candidates")
    assert "matching.optimize" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("flask", "sqlalchemy")}


def test_lazy_exports_resolve():
    import matching

    assert matching.solve is importlib.import_module("matching.optimize").solve
    assert "MatchProblem" in dir(matching)
    with pytest.raises(AttributeError):
        matching.not_a_name  # noqa: B018


@pytest.mark.parametrize("name", ALL_ENGINE_MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0
