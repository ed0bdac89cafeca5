"""Print locust's CSV statistics as one table with the ratio of each endpoint to /healthz."""
from __future__ import annotations

import csv
import sys


def main(stats_csv: str, seconds: float) -> None:
    with open(stats_csv, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {row["Name"]: row for row in rows}
    health = float(by_name.get("GET /healthz", {}).get("50%", "nan") or "nan")
    print(f"{'endpoint':34} {'requests':>9} {'fails':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p50/healthz':>11}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        p50 = float(row["50%"] or 0)
        ratio = f"{p50 / health:.1f}×" if health and health == health else "-"
        print(f"{name:34} {row['Request Count']:>9} {row['Failure Count']:>6} {float(row['Requests/s']):7.1f} "
              f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {ratio:>11}")
    print(f"(duration {seconds:.0f} s; percentiles from locust, rounded by it)")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
