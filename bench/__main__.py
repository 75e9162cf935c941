"""Run every benchmark module in this package and print the results.

    python -m bench                 # a temporary SQLite database
    python -m bench roster_pdf      # only the benchmark modules named
    BENCH_SKIP=province python -m bench   # all but the modules named (comma-separated)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/resettlement python -m bench

The benchmarks never touch the configured database: with PostgreSQL they use a
`resettlement_bench` database (or $BENCH_DATABASE) on the same server (dropped and created
here, dropped again at the end); otherwise a temporary SQLite file. Migrations run into it
before measuring.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

from bench._server import postgres_scratch, sqlite_scratch

# Override when several people benchmark against one server at the same time.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "resettlement_bench")


def _benchmark_modules(only: list[str]) -> list[str]:
    package = sys.modules["bench"]
    names = [info.name for info in pkgutil.iter_modules(package.__path__)]
    unknown = set(only) - set(names)
    if unknown:
        raise SystemExit(f"no benchmark module named {', '.join(sorted(unknown))}")
    # BENCH_SKIP leaves modules out of a full run (the province benchmark takes minutes).
    skip = set() if only else {n.strip() for n in os.environ.get("BENCH_SKIP", "").split(",")}
    return sorted(
        f"bench.{name}"
        for name in names
        if not name.startswith("_") and (not only or name in only) and name not in skip
    )


def main() -> int:
    modules = _benchmark_modules(sys.argv[1:])
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        bench_url, drop = postgres_scratch(url, BENCH_DATABASE)
    else:
        bench_url, drop = sqlite_scratch()
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettlement.settings")
    # Measure as in production: with DEBUG on Django keeps every query in memory.
    os.environ.setdefault("DJANGO_DEBUG", "0")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        where = bench_url if connection.vendor == "sqlite" else BENCH_DATABASE
        print(
            f"database: {connection.vendor} ({where}),"
            f" migrated in {time.perf_counter() - started:.1f} s"
        )
        for name in modules:
            print(f"\n== {name} ==")
            importlib.import_module(name).run()
    finally:
        connections.close_all()
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
