"""Server time to render and to submit a scoring form, beside a bare Flask route in the same run.

    python benchmarks/scoring_form.py [--audits 1000] [--criteria 15]

Builds a scratch SQLite database in a temporary folder, writes a temporary plan rubric with
15 judged criteria (one limiting) and loads it, registers 1,000 plans in a cycle's sample,
creates a panel of two auditors from different agencies and assigns the sample (2,000
audits). Then, signed in as one auditor, for each of that auditor's 1,000 audits it times
through the WSGI app (Flask's test client): the audit page (GET, the form built from the
rubric) and a complete submission (POST, validated, graded, stored, logged, committed), and
a bare route that needs the same sign-in and returns a constant. Prints median and p95 for
each and the ratio to the bare route. Goal: p95 under 50 ms for render and submit.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark password 2025"


def rubric_yaml(criteria: int) -> str:
    lines = [
        "id: bench-plan", "title: Benchmark plan standard", 'version: "1"', "applies_to: plan",
        "scale:", "  - {value: 1, label: Inadequate}",
        "  - {value: 2, label: Requires improvement}",
        "  - {value: 3, label: Good}", "  - {value: 4, label: Outstanding}",
        "good_or_better: 3", "overall: {method: weighted_mean, rounding: down}", "criteria:",
    ]
    for n in range(criteria):
        lines += [
            f"  - id: criterion_{n:02d}",
            f"    title: Criterion number {n + 1}",
            f"    section: {chr(ord('A') + n % 11)}",
            f"    weight: {2 if n == 0 else 1}",
            f"    limiting: {'true' if n == 0 else 'false'}",
            "    descriptors:",
            *[f'      {g}: "What grade {g} looks like for criterion {n + 1}, in a sentence '
              f'or two of plain words for the auditor."' for g in range(1, 5)],
            '    guidance: "What the auditor should look for in this part of the plan."',
        ]
    return "\n".join(lines) + "\n"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build(app, folder: Path, audits: int, criteria: int) -> tuple[str, list[int]]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from qa_app.audits.cycles.models import Cycle, Sample, SampleItem
    from qa_app.audits.panels.assignment import assign_panel
    from qa_app.audits.panels.models import Panel
    from qa_app.audits.panels.operations import create_panel
    from qa_app.audits.scoring.models import Audit
    from qa_app.auth.models import User
    from qa_app.auth.passwords import hash_password
    from qa_app.extensions import db
    from qa_app.register.models import Agency, Plan
    from qa_app.standards.operations import load_rubric_files

    rubric_path = folder / "bench-plan.yaml"
    rubric_path.write_text(rubric_yaml(criteria), encoding="utf-8")
    with app.app_context():
        upgrade()
        load_rubric_files([rubric_path])
        agencies = [Agency(name=n, type=t) for n, t in (
            ("Casework", "local_authority"), ("Psychology", "education"), ("Health", "health"))]
        db.session.add_all(agencies)
        db.session.flush()
        hashed = hash_password(PASSWORD)
        users = [User(email=e, role=r, agency_id=a, display_name=e.split("@")[0],
                      password_hash=hashed) for e, r, a in (
            ("chair@example.org", "panel_chair", None),
            ("one@example.org", "auditor", agencies[1].id),
            ("two@example.org", "auditor", agencies[2].id))]
        db.session.add_all(users)
        cycle = Cycle(name="Bench", start_date=date(2025, 9, 1), end_date=date(2025, 12, 19),
                      academic_year="2025/26")
        db.session.add(cycle)
        db.session.flush()
        plans = [Plan(ref=f"EHCP-B-{i:05d}", agency_id=agencies[0].id, nc_year=i % 14,
                      plan_kind="new", request_date=date(2025, 3, 1),
                      issue_date=date(2025, 7, 1)) for i in range(audits)]
        db.session.add_all(plans)
        db.session.flush()
        db.session.add(Sample(cycle_id=cycle.id, seed=1, size=audits,
                              items=[SampleItem(plan_id=p.id, stratum="plan") for p in plans]))
        db.session.flush()
        panel = create_panel(cycle_id=cycle.id, name="Bench panel", chair_id=users[0].id,
                             auditor_ids=[users[1].id, users[2].id])
        assign_panel(panel)
        db.session.commit()
        ids = list(db.session.execute(
            select(Audit.id).where(Audit.auditor_id == users[1].id).order_by(Audit.id)
        ).scalars())
        assert len(ids) == audits and db.session.get(Panel, panel.id) is not None
        return users[1].email, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=1000)
    parser.add_argument("--criteria", type=int, default=15)
    args = parser.parse_args()

    from qa_app import create_app
    from qa_app.auth.access import roles
    from qa_app.auth.models import Role

    folder = Path(tempfile.mkdtemp(prefix="scoring-bench-"))
    app = create_app({"ENV_NAME": "test", "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                      "INSTANCE_PATH": str(folder)})

    @roles(Role.AUDITOR)
    def bare() -> str:
        return "ok"

    app.add_url_rule("/bench/bare", "bench_bare", bare)
    started = time.perf_counter()
    email, audit_ids = build(app, folder, args.audits, args.criteria)
    print(f"built {args.audits} plans and {2 * args.audits} audits with a {args.criteria}-"
          f"criterion rubric in {time.perf_counter() - started:.1f} s (SQLite, {folder})")

    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert signed.status_code == 302, "could not sign in"
    grades = {f"grade_criterion_{n:02d}": str(3 + n % 2) for n in range(args.criteria)}

    bare_ms, get_ms, post_ms = [], [], []
    for audit_id in audit_ids:
        url = f"/my-audits/{audit_id}"
        t0 = time.perf_counter()
        response = client.get("/bench/bare")
        t1 = time.perf_counter()
        assert response.status_code == 200
        response = client.get(url)
        t2 = time.perf_counter()
        body = response.get_data(as_text=True)
        assert response.status_code == 200, response.status_code
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        version = re.search(r'name="row_version" type="hidden" value="(\d+)"', body).group(1)
        data = {"csrf_token": csrf, "row_version": version, "action": "check", **grades}
        t3 = time.perf_counter()
        response = client.post(url, data=data)
        t4 = time.perf_counter()
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        bare_ms.append((t1 - t0) * 1000)
        get_ms.append((t2 - t1) * 1000)
        post_ms.append((t4 - t3) * 1000)

    base_median, base_p95 = statistics.median(bare_ms), percentile(bare_ms, 0.95)
    print(f"\n{len(audit_ids)} requests each, server time through the WSGI app")
    print(f"{'request':<34}{'median ms':>10}{'p95 ms':>9}{'x bare (median)':>17}"
          f"{'x bare (p95)':>14}")
    for name, values in (("bare route (signed in)", bare_ms),
                         ("render scoring form (GET)", get_ms),
                         ("submit scoring form (POST)", post_ms)):
        median, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{name:<34}{median:>10.2f}{p95:>9.2f}{median / base_median:>17.1f}"
              f"{p95 / base_p95:>14.1f}")
    ok = percentile(get_ms, 0.95) < 50 and percentile(post_ms, 0.95) < 50
    print(f"\ngoal p95 < 50 ms for render and submit: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
