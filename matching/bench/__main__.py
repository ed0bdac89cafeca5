"""``python -m matching.bench [--quick] [--only NAME ...] [--output FILE]``.

Prints one table: each benchmark's median time ("ours"), the reference measured in the same
run, the ratio reference / ours (how many times faster), and a quality figure.  Participatory
budgeting rows come from ``matching.bench.pb_bench``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from typing import Any


def machine() -> dict[str, str]:
    """nproc, CPU model, Python and solver versions."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        nproc = os.cpu_count() or 0
    versions = []
    for name in ("pulp", "highspy", "rapidfuzz", "jieba", "numpy", "scipy"):
        try:
            mod = importlib.import_module(name)
            version = getattr(mod, "__version__", None)
            if version is None:
                from importlib.metadata import version as dist_version

                version = dist_version(name)
            versions.append(f"{name} {version}")
        except Exception:  # noqa: BLE001 - optional
            versions.append(f"{name} missing")
    return {"nproc": str(nproc), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "libraries": ", ".join(versions),
            "load": _load()}


def _load() -> str:
    """1-, 5- and 15-minute load averages (other processes slow the timings down)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "unknown"


def _fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of benchmark rows."""
    head = ("| benchmark | size | ours (s) | reference | reference (s) | ratio ref/ours | "
            "quality |\n|---|---|---:|---|---:|---:|---|")
    lines = [head]
    for r in rows:
        ratio = "—" if r.get("ratio") is None else f"{r['ratio']:.1f}×"
        lines.append(f"| {r['benchmark']} | {r['size']} | {_fmt_s(r.get('ours_s'))} | "
                     f"{r['reference']} | {_fmt_s(r.get('reference_s'))} | {ratio} | "
                     f"{r['quality']} |")
    return "\n".join(lines)


SUITES = {
    "candidates": "matching.bench.candidates_bench",
    "optimize": "matching.bench.optimize_bench",
    "flow": "matching.bench.flow_bench",
    "pb": "matching.bench.pb_bench",
    "labelled": "matching.bench.labelled_bench",
    "city": "matching.bench.city_bench",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--only", nargs="+", choices=sorted(SUITES), help="suites to run")
    parser.add_argument("--output", help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    info = machine()
    print(f"machine: nproc={info['nproc']}, CPU {info['cpu']}, Python {info['python']}, "
          f"{info['platform']}")
    print(f"libraries: {info['libraries']}")
    print(f"load average at start: {info['load']}")
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    started = time.perf_counter()
    for name in args.only or list(SUITES):
        module = importlib.import_module(SUITES[name])
        t0 = time.perf_counter()
        try:
            got = module.run(quick=args.quick)
        except Exception:  # noqa: BLE001 - a failing suite must not hide the others
            notes.append(f"{name}: failed\n{traceback.format_exc()}")
            continue
        rows.extend(got)
        print(f"... {name}: {len(got)} rows in {time.perf_counter() - t0:.0f} s", flush=True)
    out = table(rows)
    print()
    print(out)
    for note in notes:
        print(f"\nnote: {note}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at end: {_load()}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(out + "\n")
    return 1 if any("failed" in n for n in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
