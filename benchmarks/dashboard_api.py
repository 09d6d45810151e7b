"""Dashboard and API server time at national scale, beside a bare Flask route in the same run.

    python benchmarks/dashboard_api.py [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
                                       [--scale 1.0] [--requests 100]

Loads the aggregation benchmark's national data set (150 agencies, 600,000 plans, 100,000
final grades with 15 criteria each) into a scratch PostgreSQL database, runs the full
aggregation once so the snapshots exist, then times requests through the WSGI app with
Flask's test client: a bare route that returns a constant, the dashboard (whole year; the
year with every agency in the criterion heat map; one cycle; one agency) and the API (first
page of rates, one agency's rates, agencies). Prints median and p95 per endpoint and the
ratio to the bare route. Goal: p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def timings(client, path: str, count: int, headers: dict[str, str] | None = None) -> list[float]:
    client.get(path, headers=headers)
    out = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(url: str, count: int) -> None:
    from datetime import date

    from qa_app import create_app
    from qa_app.api.tokens import create_token
    from qa_app.auth.access import public
    from qa_app.auth.operations import create_user
    from qa_app.extensions import db
    from qa_app.reporting.operations import run_aggregation

    app = create_app({"ENV_NAME": "test", "DATABASE_URL": url,
                      "INSTANCE_PATH": "/tmp/ehcp-qa-bench", "LOGIN_RATE_LIMIT": "1000/minute"})
    app.add_url_rule("/bench-bare", "bench_bare", public(lambda: "ok"))
    with app.app_context():
        start = time.perf_counter()
        run_aggregation(as_of=date(2026, 9, 15))
        db.session.commit()
        print(f"Aggregation (to create the snapshots): {time.perf_counter() - start:.1f} s")
        user = create_user(email="bench@example.org", role="qi_manager",
                           password="benchmark password")
        _, token = create_token(user, "bench")
        db.session.commit()
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/sign-in", data={"email": "bench@example.org",
                                  "password": "benchmark password", "csrf_token": csrf})
    api = {"Authorization": f"Bearer {token}"}
    gc.collect()
    gc.freeze()  # as qa_app/wsgi.py does once the app is built
    cases = [
        ("bare Flask route", "/bench-bare", None),
        ("dashboard, whole year", "/dashboard/", None),
        ("dashboard, every agency's criteria", "/dashboard/?heat_all=1", None),
        ("dashboard, one cycle", "/dashboard/?year=2025/26&cycle=2", None),
        ("dashboard, one agency", "/dashboard/?year=2025/26&agency=17", None),
        ("API rates, first page of 100", "/api/v1/rates?per_page=100", api),
        ("API rates, one agency", "/api/v1/rates?agency_id=17&per_page=500", api),
        ("API agencies", "/api/v1/agencies?per_page=500", api),
    ]
    results = [(label, timings(client, path, count, headers)) for label, path, headers in cases]
    bare = statistics.median(results[0][1])
    print(f"\n{'endpoint':34} {'median ms':>10} {'p95 ms':>8} {'x bare (median)':>16}")
    for label, values in results:
        median = statistics.median(values)
        print(f"{label:34} {median:10.1f} {p95(values):8.1f} {median / bare:16.1f}")
    worst = max(p95(v) for _, v in results[1:])
    print(f"\nWorst p95: {worst:.1f} ms (goal: under 200 ms) -> "
          f"{'met' if worst < 200 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    import aggregation
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from qa_app import create_app

    server = make_url(args.server_url).set(drivername="postgresql+psycopg")
    name = f"ehcp_qa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app({"ENV_NAME": "test", "DATABASE_URL": url,
                          "INSTANCE_PATH": "/tmp/ehcp-qa-bench"})
        with app.app_context():
            upgrade()
            from qa_app.extensions import db

            db.engine.dispose()
        aggregation.load(url, args.scale)
        run(url, args.requests)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
