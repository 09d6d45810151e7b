"""A full aggregation at national scale on PostgreSQL, beside the bare GROUP BY of the main
measure (plans good or better per agency) on the same tables in the same run.

    python benchmarks/aggregation.py [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
                                     [--scale 1.0] [--keep]

Builds a scratch database (dropped at the end unless --keep): 150 agencies, 600,000 plans,
400,000 pieces of advice, three cycles of 2025/26 with 100,000 final grades (70,000 plans,
30,000 advice) of 15 criteria each (1.5 million criterion grades), and two panel audits for
a quarter of them (50,000 audits, 750,000 scores). Loaded with COPY, then ANALYZEd.

The timings run in a fresh child process, as a worker would: the bare query (best of 3,
after one warm-up), then the whole aggregation of every period (3 cycles and the year:
read, hash, store and improvement actions, one commit), then the same again with unchanged
inputs. Peak memory is the child's maximum resident set size and tracemalloc's peak of
Python allocations during a third, rolled-back aggregation (tracemalloc slows Python
down, so it is kept out of the timed runs). Last, one final grade changes and the
recalculation task it starts runs: the time until its cycle and year are current again.
Goals: under 10 s, within 3x the bare query, under 300 MB; one change current in < 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENCIES, PLANS, ADVICE, GRADED_PLANS, GRADED_ADVICE, CRITERIA = 150, 600_000, 400_000, 70_000, \
    30_000, 15
PAIRED_SHARE = 0.25
CYCLES = [(1, "Autumn term 2025", date(2025, 9, 1), date(2025, 12, 19)),
          (2, "Spring term 2026", date(2026, 1, 5), date(2026, 3, 27)),
          (3, "Summer term 2026", date(2026, 4, 13), date(2026, 7, 22))]
AS_OF = date(2026, 9, 15)
TYPES = ["educational_psychology", "health", "social_care", "education_setting"]
NOW = "2026-09-01 00:00:00"
BARE = """
SELECT plans.agency_id, count(*), sum(CASE WHEN final_grades.good_or_better THEN 1 ELSE 0 END)
FROM final_grades JOIN plans ON plans.id = final_grades.plan_id
WHERE final_grades.academic_year = '2025/26'
GROUP BY plans.agency_id
"""


RECORD_SUBJECTS = (
    "UPDATE final_grades SET agency_id = p.agency_id, nc_year = p.nc_year, "
    "plan_kind = p.plan_kind FROM plans p WHERE p.id = final_grades.plan_id",
    "UPDATE final_grades SET agency_id = a.agency_id, advice_type = a.advice_type, "
    "assured_grade = a.agency_grade FROM advice a WHERE a.id = final_grades.advice_id",
    "UPDATE plans SET assessed_as_new = true, assessment_request_date = request_date, "
    "assessment_issue_date = issue_date, assessment_agency_id = agency_id "
    "WHERE plan_kind = 'new' AND issue_date IS NOT NULL",
)


def n(value: object) -> str:
    return "\\N" if value is None else str(value)


def rows_plans(rng: random.Random, count: int) -> Iterator[str]:
    for i in range(1, count + 1):
        issued = date(2025, 6, 1) + timedelta(days=rng.randrange(420))
        requested = issued - timedelta(days=rng.randrange(90, 200))
        kind = "new" if rng.random() < 0.3 else "annual_review"
        yield (f"{i}\tEHCP-N-{i:07d}\t{rng.randrange(1, AGENCIES + 1)}\t{rng.randrange(0, 15)}\t"
               f"{kind}\t{requested}\t{issued}\t{NOW}\t{NOW}\n")


def rows_advice(rng: random.Random, count: int, plans: int) -> Iterator[str]:
    for i in range(1, count + 1):
        requested = date(2025, 7, 1) + timedelta(days=rng.randrange(400))
        due = requested + timedelta(days=42)
        late = rng.randrange(20, 60)
        received = None if rng.random() < 0.05 else requested + timedelta(days=late)
        exception = "missed_appointment" if rng.random() < 0.03 else None
        grade = rng.choice([None, 2, 3, 3, 4])
        yield (f"{i}\tADV-N-{i:07d}\t{rng.randrange(1, plans + 1)}\t"
               f"{rng.randrange(1, AGENCIES + 1)}\t{rng.choice(TYPES)}\t{requested}\t{due}\t"
               f"{n(received)}\t{n(grade)}\t{n(exception)}\t{NOW}\t{NOW}\n")


Graded = tuple[int, str, int, int, int, bytes, bool]


def _subject(kind: str, sid: int) -> tuple[int | None, int | None]:
    return (sid, None) if kind == "plan" else (None, sid)


def grade_rows(graded: list[Graded]) -> Iterator[str]:
    """Overall grade: the rounded mean, capped by the child-voice grade (limiting)."""
    for fid, kind, sid, rubric, cycle, grades, _ in graded:
        overall = min(grades[0], round(sum(grades) / len(grades)))
        plan_id, advice_id = _subject(kind, sid)
        yield (f"{fid}\t{cycle}\t{n(plan_id)}\t{n(advice_id)}\t{rubric}\t2025/26\t2026-01-01\t"
               f"{overall}\t{'t' if overall >= 3 else 'f'}\tagreed\t{NOW}\t1\n")


def criterion_rows(graded: list[Graded], criteria: list[str]) -> Iterator[str]:
    for fid, *_, grades, _paired in graded:
        for k, (cid, g) in enumerate(zip(criteria, grades, strict=True)):
            yield f"{(fid - 1) * CRITERIA + k + 1}\t{fid}\t{cid}\t{g}\t{'t' if g >= 3 else 'f'}\n"


def audit_rows(graded: list[Graded]) -> Iterator[str]:
    audit_id = 0
    for _fid, kind, sid, rubric, cycle, _grades, paired in graded:
        plan_id, advice_id = _subject(kind, sid)
        for _ in range(2 if paired else 0):
            audit_id += 1
            yield (f"{audit_id}\t{cycle}\t{n(plan_id)}\t{n(advice_id)}\t{rubric}\tsubmitted\t"
                   f"panel\t{NOW}\t{NOW}\t1\n")


def score_rows(rng: random.Random, graded: list[Graded], criteria: list[str]) -> Iterator[str]:
    """Each auditor agrees with the final criterion grade four times in five."""
    audit_id = score_id = 0
    for *_, grades, paired in graded:
        for _ in range(2 if paired else 0):
            audit_id += 1
            for cid, g in zip(criteria, grades, strict=True):
                score_id += 1
                other = g if rng.random() < 0.8 else max(1, min(4, g + rng.choice((-1, 1))))
                yield f"{score_id}\t{audit_id}\t{cid}\t{other}\n"


def graded_subjects(rng: random.Random, plans: int, graded_plans: int, advice: int,
                    graded_advice: int) -> list[tuple[str, int, int]]:
    subjects = [("plan", pid, 1) for pid in rng.sample(range(1, plans + 1), graded_plans)]
    subjects += [("advice", aid, 2) for aid in rng.sample(range(1, advice + 1), graded_advice)]
    return subjects


def load(url: str, scale: float) -> None:
    import psycopg

    rng = random.Random(2026)
    plans, advice = int(PLANS * scale), int(ADVICE * scale)
    graded_plans, graded_advice = int(GRADED_PLANS * scale), int(GRADED_ADVICE * scale)
    subjects = graded_subjects(rng, plans, graded_plans, advice, graded_advice)
    criteria = ["child_voice", *[f"criterion_{k:02d}" for k in range(2, CRITERIA + 1)]]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        with conn.cursor() as cur:
            for table, columns, lines in [
                ("agencies", "id, name, type, active, created_at",
                 (f"{i}\tAgency {i:03d}\tlocal_authority\tt\t{NOW}\n"
                  for i in range(1, AGENCIES + 1))),
                ("rubric_versions", "id, rubric_id, version, title, applies_to, content_hash, "
                 "body, loaded_at",
                 (f"{i}\t{rid}\t1\t{rid}\t{kind}\t{'0' * 64}\t{{\"good_or_better\": 3}}\t{NOW}\n"
                  for i, rid, kind in [(1, "ehcp-plan", "plan"), (2, "advice", "advice")])),
                ("cycles", "id, name, start_date, end_date, academic_year, status, created_at",
                 (f"{i}\t{name}\t{s}\t{e}\t2025/26\tclosed\t{NOW}\n" for i, name, s, e in CYCLES)),
                ("plans", "id, ref, agency_id, nc_year, plan_kind, request_date, issue_date, "
                 "created_at, updated_at", rows_plans(rng, plans)),
                ("advice", "id, ref, plan_id, agency_id, advice_type, requested_date, due_date, "
                 "received_date, agency_grade, exception, created_at, updated_at",
                 rows_advice(rng, advice, plans)),
            ]:
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for line in lines:
                        copy.write(line)
            graded = [(fid, kind, sid, rubric, rng.randrange(1, 4),
                       bytes(rng.choices((1, 2, 3, 4), (1, 3, 5, 2), k=CRITERIA)),
                       rng.random() < PAIRED_SHARE)
                      for fid, (kind, sid, rubric) in enumerate(subjects, start=1)]
            for table, columns, lines in [
                ("final_grades", "id, cycle_id, plan_id, advice_id, rubric_version_id, "
                 "academic_year, audit_date, grade, good_or_better, method, created_at, "
                 "agency_id", grade_rows(graded)),
                ("final_criterion_grades", "id, final_grade_id, criterion_id, grade, "
                 "good_or_better", criterion_rows(graded, criteria)),
                ("audits", "id, cycle_id, plan_id, advice_id, rubric_version_id, status, "
                 "source, created_at, updated_at, row_version", audit_rows(graded)),
                ("audit_scores", "id, audit_id, criterion_id, grade",
                 score_rows(random.Random(7), graded, criteria)),
            ]:
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for line in lines:
                        copy.write(line)
            for statement in RECORD_SUBJECTS:  # as the migration fills existing grades
                cur.execute(statement)
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    audits = 2 * sum(1 for g in graded if g[6])
    counts = {"plans": plans, "advice": advice, "final_grades": len(subjects),
              "criterion_grades": len(subjects) * CRITERIA, "audits": audits,
              "audit_scores": audits * CRITERIA}
    print("Loaded: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)


def measure(url: str) -> dict[str, float]:
    """In a fresh process: the bare query, then the whole aggregation, twice."""
    from sqlalchemy import text

    from qa_app import create_app
    from qa_app.extensions import db
    from qa_app.reporting import measures
    from qa_app.reporting.operations import run_aggregation

    app = create_app({"ENV_NAME": "test", "DATABASE_URL": url,
                      "INSTANCE_PATH": str(Path("/tmp") / "ehcp-qa-bench")})
    steps: dict[str, float] = {}
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text(BARE)).all()
            bare = []
            for _ in range(3):
                start = time.perf_counter()
                conn.execute(text(BARE)).all()
                bare.append(time.perf_counter() - start)

        def timed(step):
            def run(conn, ctx):
                start = time.perf_counter()
                result = step(conn, ctx)
                steps[step.__name__] = steps.get(step.__name__, 0.0) + time.perf_counter() - start
                return result
            return run

        plain = measures.STEPS
        measures.STEPS = tuple((name, timed(step)) for name, step in plain)
        start = time.perf_counter()
        first = run_aggregation(as_of=AS_OF)
        db.session.commit()
        full = time.perf_counter() - start
        measures.STEPS = plain
        start = time.perf_counter()
        second = run_aggregation(as_of=AS_OF)
        db.session.commit()
        again = time.perf_counter() - start
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.execute(text("TRUNCATE rate_snapshots, agreement_snapshots, aggregation_runs, "
                                "improvement_actions, audit_log CASCADE"))
        tracemalloc.start()
        run_aggregation(as_of=AS_OF)
        peak_python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.rollback()
        run_aggregation(as_of=AS_OF)
        db.session.commit()
        current_again = one_grade_changes()
    assert {p["status"] for p in first["periods"]} == {"new"}
    assert {p["status"] for p in second["periods"]} == {"unchanged"}
    return {
        "bare_s": min(bare), "full_s": full, "again_s": again,
        "rates": sum(p["rates"] for p in first["periods"]), "periods": len(first["periods"]),
        "peak_rss_mb": peak_rss,
        "peak_python_mb": peak_python / 2**20,
        "one_change_s": current_again,
        **{f"step_{k}_s": v for k, v in steps.items()},
    }


def one_grade_changes() -> float:
    """Seconds from the commit of one changed final grade until its cycle and year are
    current again, through the recalculation task the change starts."""
    from sqlalchemy import select

    from qa_app.audits.moderation.models import FinalCriterionGrade, FinalGrade
    from qa_app.extensions import db
    from qa_app.reporting.recalculation import pending_exists
    from qa_app.reporting.tasks import recalculate

    voice = db.session.scalars(
        select(FinalCriterionGrade).join(FinalGrade)
        .where(FinalGrade.plan_id.is_not(None), FinalCriterionGrade.criterion_id == "child_voice")
        .order_by(FinalGrade.id).limit(1)).one()
    voice.grade, voice.good_or_better = (2, False) if voice.good_or_better else (3, True)
    db.session.commit()
    start = time.perf_counter()
    result = recalculate.apply(args=(None,)).get()
    elapsed = time.perf_counter() - start
    assert not pending_exists()
    assert sorted(p["kind"] for p in result["periods"]) == ["academic_year", "cycle"], result
    assert {p["status"] for p in result["periods"]} == {"new"}
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

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
        start = time.perf_counter()
        with app.app_context():
            upgrade()
            from qa_app.extensions import db

            db.engine.dispose()
        print(f"Created {name} in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        load(url, args.scale)
        print(f"Load took {time.perf_counter() - start:.1f} s", flush=True)
        child = subprocess.run([sys.executable, __file__, "--measure", url],
                               capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(f"the measuring process failed:\n{child.stderr[-4000:]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    report(figures)


def report(f: dict[str, float]) -> None:
    print(f"Bare GROUP BY, plans good or better per agency for 2025/26: "
          f"{f['bare_s'] * 1000:.0f} ms")
    print(f"Full aggregation, {f['periods']:.0f} periods, {f['rates']:,.0f} rates stored: "
          f"{f['full_s']:.2f} s  ({f['full_s'] / f['bare_s']:.1f}x the bare query; goal < 10 s, "
          f"< 3x)")
    print(f"Again with unchanged inputs (nothing stored): {f['again_s']:.2f} s")
    for key, value in f.items():
        if key.startswith("step_"):
            print(f"  {key[5:-2]:<24} {value:6.2f} s")
    plans = f.get("step_plans_good_or_better_s")
    if plans:
        print(f"Plans good or better inside the aggregation (all 4 periods, with child voice): "
              f"{plans * 1000:.0f} ms = {plans / f['bare_s']:.1f}x the bare query")
    print(f"One final grade changed: its cycle and year current again in "
          f"{f['one_change_s']:.2f} s ({f['one_change_s'] / f['full_s']:.2f}x the full run; "
          f"goal < 2 s)")
    print(f"Peak memory: {f['peak_rss_mb']:.0f} MB resident (goal < 300 MB); "
          f"{f['peak_python_mb']:.1f} MB of Python allocations during the aggregation")


if __name__ == "__main__":
    main()
