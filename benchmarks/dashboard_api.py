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

Then the pages added since, with what they need made first through the app's own operations
(timed and printed): a board report in preparation for the latest cycle (its exceptions
recounted on every view), that cycle's learning brief as a draft and the first cycle's as
published, approved good-practice examples, draft letters for the latest cycle (leave them
out with --no-letters), family links for that cycle's sample with answers, a practitioner
survey run with answers, and one plan's case timeline. The sample (every plan graded in the
latest cycle) and the library examples are written directly: drawing a sample works from the
register, and examples can only be marked in an open cycle.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
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


def step(label: str, work: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = work()
    print(f"  {label}: {time.perf_counter() - start:.1f} s", flush=True)
    return result


def sample_latest_cycle() -> int:
    """Every plan graded in the latest cycle as its sample (before the aggregation, which
    weights the plans rate by the sample's strata); returns how many."""
    from sqlalchemy import text

    from qa_app.extensions import db

    latest = db.session.scalar(text("SELECT id FROM cycles ORDER BY start_date DESC LIMIT 1"))
    db.session.execute(text(
        "INSERT INTO samples (cycle_id, seed, size, parameters, drawn_at) "
        "SELECT :c, 1, count(*), '{}', now() FROM final_grades "
        "WHERE cycle_id = :c AND plan_id IS NOT NULL"), {"c": latest})
    made = db.session.execute(text(
        "INSERT INTO sample_items (sample_id, plan_id, stratum) "
        "SELECT s.id, f.plan_id, 'all' FROM final_grades f JOIN samples s "
        "ON s.cycle_id = f.cycle_id WHERE f.cycle_id = :c AND f.plan_id IS NOT NULL"),
        {"c": latest}).rowcount
    db.session.commit()
    return made


def prepare_pages(app, manager_id: int, sampled: int, letters: bool
                  ) -> list[tuple[str, str, None]]:
    """What the newer pages need at this scale; returns their (label, path, headers)."""
    from sqlalchemy import select, text

    from qa_app import navigation
    from qa_app.audits.cycles.models import Cycle
    from qa_app.board.operations import start_report
    from qa_app.extensions import db
    from qa_app.learning import operations as learning
    from qa_app.learning.content import assemble
    from qa_app.letters.operations import generate_letter
    from qa_app.library.models import APPROVED, PracticeExample
    from qa_app.surveys import operations as surveys
    from qa_app.surveys.models import FAMILY, PRACTITIONER, SurveyLink, SurveyVersion

    today = date.today()
    print("Preparing the newer pages:")
    cycles = db.session.scalars(select(Cycle).order_by(Cycle.start_date)).all()
    first, latest = cycles[0], cycles[-1]

    def report() -> int:
        made = start_report(latest, today + timedelta(days=28), actor_id=manager_id,
                            today=today)
        db.session.commit()
        return made.id

    report_id = step("board report started (exceptions asked for commentary)", report)

    def brief() -> None:
        checked = learning.digest(assemble(first, today))
        learning.publish(first.id, actor_id=manager_id, checked=checked, today=today)
        db.session.commit()

    step(f"learning brief published for {first.name}", brief)

    def examples() -> None:
        criteria = ["child_voice", *[f"criterion_{k:02d}" for k in range(2, 6)]]
        for i in range(60):
            plan = i % 3 != 0
            db.session.add(PracticeExample(
                rubric_id="ehcp-plan" if plan else "advice", criterion_id=criteria[i % 5],
                subject_kind="plan" if plan else "advice",
                advice_type=None if plan else "health", agency_id=1 + (i * 7) % 150,
                excerpt=f"Example excerpt {i}: outcomes say what will change and by when.",
                typed_excerpt="Example excerpt.", status=APPROVED, decided_by_id=manager_id))
        db.session.commit()

    step("60 approved good-practice examples", examples)

    def write_letters() -> int:
        agencies = db.session.scalars(text(
            "SELECT DISTINCT agency_id FROM final_grades WHERE cycle_id = :c "
            "ORDER BY agency_id"), {"c": latest.id}).all()
        for agency_id in agencies:
            generate_letter(agency_id, latest.id, actor_id=manager_id, fresh_checked=True)
            db.session.commit()
        return len(agencies)

    if letters:
        step("draft letters for the latest cycle", write_letters)

    def family() -> int:
        surveys.load_survey_files()
        surveys.make_family_links(latest, 30)
        db.session.commit()
        version = db.session.scalars(select(SurveyVersion).where(
            SurveyVersion.audience == FAMILY).order_by(SurveyVersion.id)).first()
        links = db.session.scalars(select(SurveyLink).where(
            SurveyLink.audience == FAMILY).order_by(SurveyLink.id)).all()
        answered = links[::5]
        for i, link in enumerate(answered):
            surveys.save_answers(link, version, {"overall_experience": 1 + i % 4,
                                                 "listened_to": 1 + (i * 3) % 4})
        db.session.commit()
        return len(answered)

    step(f"family links for {sampled:,} sampled plans, one in five answered", family)

    def practitioners() -> None:
        run, _ = surveys.start_practitioner_run("Benchmark run", "practitioner-confidence",
                                                today + timedelta(days=30), manager_id)
        version = surveys.current_version("practitioner-confidence", PRACTITIONER)
        links = db.session.scalars(select(SurveyLink).where(SurveyLink.run_id == run.id)).all()
        for i, link in enumerate(links):
            for k in range(4):
                surveys.save_answers(link, version, {"capture_child_voice": 1 + (i + k) % 4,
                                                     "describe_needs": 1 + (i * k) % 4})
        surveys.set_training_date(run, today)
        db.session.commit()

    step("practitioner survey run, four answers per agency", practitioners)
    plan_id = db.session.scalar(text(
        "SELECT f.plan_id FROM final_grades f JOIN audits a ON a.plan_id = f.plan_id "
        "WHERE f.cycle_id = :c ORDER BY f.id LIMIT 1"), {"c": latest.id})
    hubs = [("section hub: " + g.name, f"/sections/{g.slug}", None)
            for g in navigation.groups_for(app) if g.has_hub
            and len(navigation.reachable(app, g, "qi_manager")) > 1]
    return [
        ("board report, latest cycle", f"/board/{report_id}", None),
        ("learning brief, draft (latest)", f"/learning/cycles/{latest.id}", None),
        ("learning brief, published", f"/learning/cycles/{first.id}", None),
        ("good-practice library", "/library/", None),
        ("rates page", "/rates", None),
        ("rates, cycle below target by rate",
         f"/rates?cycle={latest.id}&status=below-target&sort=rate&order=desc", None),
        ("rates, year criteria, one agency",
         "/rates?year=2025/26&measure=criterion_good_or_better&agency=17", None),
        ("letters tracker, latest cycle", f"/letters/?cycle={latest.id}", None),
        *hubs,
        ("survey results", "/surveys/results", None),
        ("case timeline, one plan", f"/plans/{plan_id}/timeline", None),
    ]


def run(url: str, count: int, letters: bool = True) -> None:
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
        sampled = sample_latest_cycle()
        start = time.perf_counter()
        run_aggregation(as_of=date(2026, 9, 15))
        db.session.commit()
        print(f"Aggregation (to create the snapshots): {time.perf_counter() - start:.1f} s")
        user = create_user(email="bench@example.org", role="qi_manager",
                           password="benchmark password")
        _, token = create_token(user, "bench")
        db.session.commit()
        pages = prepare_pages(app, user.id, sampled, letters)
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
        *pages,
    ]
    results = [(label, timings(client, path, count, headers)) for label, path, headers in cases]
    bare = statistics.median(results[0][1])
    print(f"\n{'endpoint':40} {'median ms':>10} {'p95 ms':>8} {'x bare (median)':>16}")
    for label, values in results:
        median = statistics.median(values)
        print(f"{label:40} {median:10.1f} {p95(values):8.1f} {median / bare:16.1f}")
    worst = max(p95(v) for _, v in results[1:])
    print(f"\nWorst p95: {worst:.1f} ms (goal: under 200 ms) -> "
          f"{'met' if worst < 200 else 'NOT met'}")
    over = [label for label, values in results[1:] if p95(values) >= 200]
    if over:
        print("Over 200 ms at p95: " + "; ".join(over))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-letters", action="store_true",
                        help="leave out the draft letters (and time an empty tracker)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
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
        run(url, args.requests, letters=not args.no_letters)
    finally:
        if args.keep:
            print(f"Kept {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
