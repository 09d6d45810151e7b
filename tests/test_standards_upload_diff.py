"""The preview's words for what a new version changes, checked on small edits of the shipped
plan standard: one line per change, nothing said about what did not change."""

from __future__ import annotations

from pathlib import Path

from qa_app.standards.diff import rubric_changes
from qa_app.standards.rubric import parse_rubric

PLAN = (Path(__file__).resolve().parents[1] / "rubrics" / "ehcp-plan.yaml").read_text(
    encoding="utf-8")


def changes_of(edited: str):
    return rubric_changes(parse_rubric(PLAN, "old.yaml"), parse_rubric(edited, "new.yaml"))


def test_the_same_content_changes_nothing():
    changes = changes_of(PLAN.replace('version: "2025.1"', 'version: "2025.2"'))
    assert not changes.any
    assert {item.status for item in changes.items} == {"unchanged"}


def test_changes_to_the_whole_standard_are_listed_in_words():
    edited = (PLAN.replace("title: EHC plan practice standard", "title: EHC plan standard")
              .replace("good_or_better: 3", "good_or_better: 4")
              .replace("{value: 2, label: Requires improvement}", "{value: 2, label: Weak}")
              .replace("overall: {method: weighted_mean, rounding: down}",
                       "overall: {method: lowest}"))
    changes = changes_of(edited)
    assert changes.overall == [
        "Title: EHC plan practice standard → EHC plan standard",
        "Grades: 1 Inadequate, 2 Requires improvement, 3 Good, 4 Outstanding → "
        "1 Inadequate, 2 Weak, 3 Good, 4 Outstanding",
        "Good or better from: 3 → 4",
        "Overall grade: weighted average, rounded down → lowest criterion grade",
    ]
    # a relabelled grade names the new label in each descriptor line, but no descriptor moved
    assert all(item.status == "unchanged" for item in changes.items)


def test_limiting_section_and_guidance_changes_name_the_criterion():
    edited = PLAN.replace("    weight: 2\n    limiting: true\n", "    weight: 2\n", 1)
    edited = edited.replace("  - id: aspirations\n    title: Interests, strengths and "
                            "aspirations\n    section: A",
                            "  - id: aspirations\n    title: Interests, strengths and "
                            "aspirations\n    section: B", 1)
    edited = edited.replace("Look for first-person wording", "Look first for first-person "
                            "wording", 1)
    changed = {item.key: item.lines for item in changes_of(edited).of("changed")}
    assert changed == {
        "child_voice": ("Limiting: yes → no", "Guidance reworded"),
        "aspirations": ("Section: A → B",),
    }
