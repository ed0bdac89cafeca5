"""Print locust's CSV statistics: one table per load level, then a summary across the levels.

    python loadtest/report.py SECONDS USERS=STATS_CSV [USERS=STATS_CSV ...]
"""
from __future__ import annotations

import csv
import sys

# The pages the p95 goal is about: listings and search, in HTML and JSON.
GOAL_ENDPOINTS = ("GET /projects/ (page)", "GET /projects/ (filters)", "GET /projects/?q= (search)",
                  "GET /api/v1/projects?q=", "GET /organizations/")
GOAL_P95_MS = 100.0


def _rows(stats_csv: str) -> list[dict[str, str]]:
    with open(stats_csv, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def table(rows: list[dict[str, str]]) -> None:
    by_name = {row["Name"]: row for row in rows}
    health = float(by_name.get("GET /healthz", {}).get("50%", "nan") or "nan")
    print(f"{'endpoint':34} {'requests':>9} {'fails':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p50/healthz':>11}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        p50 = float(row["50%"] or 0)
        ratio = f"{p50 / health:.1f}×" if health and health == health else "-"
        print(f"{name:34} {row['Request Count']:>9} {row['Failure Count']:>6} {float(row['Requests/s']):7.1f} "
              f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {ratio:>11}")


def summary(levels: list[tuple[int, list[dict[str, str]]]]) -> None:
    print(f"{'users':>5} {'req/s':>7} {'fails':>6} {'healthz p95':>11} {'worst listing/search p95':>25}  goal (p95 < 100 ms, no errors)")
    for users, rows in levels:
        by_name = {row["Name"]: row for row in rows}
        total = by_name["Aggregated"]
        worst_name, worst = max(((name, float(by_name[name]["95%"] or 0)) for name in GOAL_ENDPOINTS if name in by_name),
                                key=lambda item: item[1])
        met = worst < GOAL_P95_MS and int(total["Failure Count"]) == 0
        print(f"{users:>5} {float(total['Requests/s']):7.1f} {total['Failure Count']:>6} "
              f"{by_name.get('GET /healthz', {}).get('95%', '-'):>11} {worst:>9.0f} ms {worst_name:<14}  {'met' if met else 'not met'}")


def main(seconds: float, levels: list[str]) -> None:
    loaded = []
    for level in levels:
        users, stats_csv = level.split("=", 1)
        rows = _rows(stats_csv)
        loaded.append((int(users), rows))
        print(f"\n{users} users, {seconds:.0f} s:")
        table(rows)
    print("\nSummary (percentiles from locust, rounded by it; locust runs on the same cores as the server):")
    summary(loaded)


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2:])
