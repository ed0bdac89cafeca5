"""Time the project search on the database that ``DATABASE_URL`` names (the ``--scale 100`` demo).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/market_loadtest \\
        .venv/bin/python loadtest/search_timing.py [--runs 20] [--explain]

For each query (those of the load scenario, loadtest/locustfile.py): the median, 95th percentile and
slowest of ``--runs`` searches of the public project listing (the first page of 20, with the total),
as a signed-in user's page and the API run them (a visitor's page may be one kept a moment, see
market/ui/listing.py); the words like a misspelt one are looked up once, as in a running site.
``--explain`` adds the plan of one search (EXPLAIN ANALYZE on PostgreSQL), to see which indexes it
reads.
"""
from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func

QUERIES = ("养老", "助餐", "心理", "儿童", "社区教育", "elderly care", "eldery", "mental health", "youth", "残疾人",
           "环保", "法律援助", "volunteer", "垃圾分类", "适老化")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("queries", nargs="*", default=QUERIES)
    args = parser.parse_args()

    from market import create_app
    from market.core.db import db
    from market.projects.models import PROJECT_SEARCH, Project
    from market.projects.services import filtered_projects, list_projects
    from market.search.query import ranked_page, text_match
    from market.ui.listing import ListingArgs

    app = create_app()
    with app.app_context():
        projects = db.session.scalar(func.count(Project.id).select())
        print(f"{projects:,} projects on {db.engine.dialect.name}; median, 95th percentile and slowest of "
              f"{args.runs} searches")
        for query in args.queries:
            listing = ListingArgs(q=query, per_page=20)
            page = list_projects(listing)  # once before timing: connections and caches as in a running site
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                list_projects(listing)
                times.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            times.sort()
            print(f"  {query!r:16} {page.total:>7,} found   median {statistics.median(times):7.1f} ms"
                  f"   p95 {times[round(0.95 * (len(times) - 1))]:7.1f} ms   slowest {times[-1]:7.1f} ms")
            if args.explain and db.engine.dialect.name == "postgresql":
                match = text_match(db.session, PROJECT_SEARCH, query)
                stmt = ranked_page(filtered_projects({}), Project, match, limit=20, offset=0)
                compiled = stmt.compile(db.engine)
                connection = db.session.connection()
                for (line,) in connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled.string}",
                                                          compiled.params):
                    print("      " + line)
                db.session.rollback()


if __name__ == "__main__":
    main()
