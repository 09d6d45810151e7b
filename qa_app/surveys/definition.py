"""Survey files (YAML) as typed objects, checked like rubrics: every problem names the file,
the line and the key, so one edit fixes them all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from qa_app.standards.yaml_lines import (
    Checker,
    KeyPath,
    RubricError,
    RubricProblem,
    parse_document,
    read_text_file,
)

__all__ = ["RubricError", "RubricProblem", "Survey", "load_survey", "parse_survey"]

AUDIENCES = ("family", "practitioner")
RESPONDENTS = {"family": ("parent_carer", "young_person"), "practitioner": ("practitioner",)}
KINDS = ("scale", "free_text")
SURVEY_ID = (r"[a-z0-9][a-z0-9-]*", "lower-case letters, digits and hyphens")
NAME = (r"[a-z0-9][a-z0-9_]*", "lower-case letters, digits and underscores")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Level:
    value: int
    label: str


@dataclass(frozen=True)
class Scale:
    levels: tuple[Level, ...]
    good_or_better: int

    def label_for(self, value: int) -> str:
        return next(level.label for level in self.levels if level.value == value)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str
    hint: str = ""
    scale: Scale | None = None
    required: bool = True
    headline: bool = False
    """The question a family's answer to "how was your experience" is counted from."""

    def is_good(self, value: int | None) -> bool:
        return self.scale is not None and value is not None and value >= self.scale.good_or_better


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    version: str
    audience: str
    respondent: str
    intro: str
    questions: tuple[Question, ...]

    @cached_property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def headline(self) -> Question | None:
        return next((q for q in self.questions if q.headline), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, stored with each version; `from_dict` reads it back."""
        data = asdict(self)
        for question in data["questions"]:
            scale = question.pop("scale")
            if scale is not None:
                question["scale"] = {"levels": scale["levels"],
                                     "good_or_better": scale["good_or_better"]}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Survey:
        questions = tuple(
            Question(
                q["id"], q["text"], q["kind"], q.get("hint", ""),
                Scale(tuple(Level(lv["value"], lv["label"]) for lv in q["scale"]["levels"]),
                      q["scale"]["good_or_better"]) if q.get("scale") else None,
                q.get("required", True), q.get("headline", False),
            )
            for q in data["questions"]
        )  # fmt: skip
        return cls(data["id"], data["title"], data["version"], data["audience"],
                   data["respondent"], data.get("intro", ""), questions)


def parse_survey(text: str, filename: str) -> Survey:
    return parse_document(text, filename, _read_survey, "a survey (id, title, version, ...)")


def load_survey(path: Path) -> Survey:
    return parse_survey(read_text_file(path), str(path))


def survey_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; a folder means its *.yaml and *.yml files."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            found.append(path)
    return found


def validate_survey_files(paths: Iterable[Path | str]) -> list[RubricProblem]:
    """Every problem in every file, and any survey id used by two files."""
    problems: list[RubricProblem] = []
    seen: dict[str, str] = {}
    for path in survey_paths(paths):
        try:
            survey = load_survey(path)
        except RubricError as exc:
            problems.extend(exc.problems)
            continue
        if survey.id in seen:
            message = f"survey id {survey.id!r} is already used by {seen[survey.id]}"
            problems.append(RubricProblem(str(path), None, "id", message))
        seen.setdefault(survey.id, str(path))
    return problems


def _read_survey(data: Any, check: Checker) -> Survey | None:
    required = ("id", "title", "version", "audience", "respondent", "scales", "questions")
    top = check.mapping(data, (), required, optional=("intro",))
    if top is None:
        return None
    survey_id = check.get(top, "id", (), lambda v, p: check.string(v, p, SURVEY_ID))
    title = check.get(top, "title", (), check.string)
    version = check.get(top, "version", (), check.string)
    audience = check.get(top, "audience", (), lambda v, p: check.choice(v, p, AUDIENCES))
    allowed = RESPONDENTS.get(audience or "", ())
    respondent = check.get(top, "respondent", (), lambda v, p: check.choice(v, p, allowed)
                           if allowed else check.string(v, p))
    intro = check.get(top, "intro", (), check.string, "")
    scales = check.get(top, "scales", (), lambda v, p: _read_scales(v, p, check))
    questions = check.get(top, "questions", (),
                          lambda v, p: _read_questions(v, p, scales, audience, check))
    if check.problems:
        return None
    assert survey_id and title and version and audience and respondent and questions
    return Survey(survey_id, title, version, audience, respondent, intro or "", questions)


def _read_scales(raw: Any, path: KeyPath, check: Checker) -> dict[str, Scale | None] | None:
    """Every named scale; a scale with problems of its own is named with None."""
    if not isinstance(raw, dict) or not raw:
        check.add(path, "must name at least one scale, such as {experience: {levels: ...}}")
        return None
    scales: dict[str, Scale | None] = {}
    for name, body in raw.items():
        here = (*path, str(name))
        if check.string(name, here, NAME) is None:
            continue
        scales[str(name)] = None
        scale = check.mapping(body, here, required=("levels", "good_or_better"))
        if scale is None:
            continue
        levels = _read_levels(scale.get("levels"), (*here, "levels"), check) \
            if "levels" in scale else None
        good = check.get(scale, "good_or_better", here, check.integer)
        if levels is None or good is None:
            continue
        if good not in {level.value for level in levels}:
            check.add((*here, "good_or_better"), f"{good} is not a value on the scale")
            continue
        scales[str(name)] = Scale(levels, good)
    return scales


def _read_levels(raw: Any, path: KeyPath, check: Checker) -> tuple[Level, ...] | None:
    before = len(check.problems)
    levels: list[Level] = []
    for here, item in check.records(raw, path, required=("value", "label")):
        value = check.get(item, "value", here, check.integer)
        label = check.get(item, "label", here, check.string)
        if value is None or label is None:
            continue
        if levels and value <= levels[-1].value:
            check.add((*here, "value"), "values must increase from worst to best")
        levels.append(Level(value, label))
    if isinstance(raw, list) and len(raw) == 1:
        check.add(path, "a scale needs at least two levels")
    return tuple(levels) if len(check.problems) == before else None


_QUESTION_KEYS = ("hint", "scale", "required", "headline")


def _read_questions(
    raw: Any, path: KeyPath, scales: dict[str, Scale | None] | None, audience: str | None,
    check: Checker,
) -> tuple[Question, ...]:
    questions: list[Question] = []
    for here, item in check.records(raw, path, ("id", "text", "kind"), _QUESTION_KEYS):
        question = _read_question(item, here, scales, check)
        if question is None:
            continue
        if any(known.id == question.id for known in questions):
            check.add((*here, "id"), f"question id {question.id!r} is used twice")
        questions.append(question)
    items = raw if isinstance(raw, list) else []
    headlines = [i for i in items if isinstance(i, dict) and i.get("headline") is True]
    if audience == "family" and isinstance(raw, list) and raw and len(headlines) != 1:
        check.add(path, "a family survey marks exactly one scale question `headline: true` "
                        "(the rating of their experience)")
    return tuple(questions)


def _read_question(
    item: dict[str, Any], here: KeyPath, scales: dict[str, Scale | None] | None,
    check: Checker,
) -> Question | None:
    before = len(check.problems)
    question_id = check.get(item, "id", here, lambda v, p: check.string(v, p, NAME))
    text = check.get(item, "text", here, check.string)
    kind = check.get(item, "kind", here, lambda v, p: check.choice(v, p, KINDS))
    hint = check.get(item, "hint", here, check.string, "")
    required = check.get(item, "required", here, check.boolean, True)
    headline = check.get(item, "headline", here, check.boolean, False)
    scale: Scale | None = None
    if kind == "scale":
        if "scale" not in item:
            check.add((*here, "scale"), "required key is missing for a scale question")
        else:
            name = check.string(item["scale"], (*here, "scale"))
            if name is not None and scales is not None and name not in scales:
                check.add((*here, "scale"), f"{name!r} is not one of the scales listed above")
            scale = (scales or {}).get(name or "")
    elif kind == "free_text":
        for key in ("scale", "headline"):
            if key in item:
                check.add((*here, key), "only a scale question has this key")
    if len(check.problems) != before or question_id is None or text is None or kind is None:
        return None
    if kind == "scale" and scale is None:
        return None  # its scale has problems of its own, already reported
    return Question(question_id, text, kind, hint or "", scale, bool(required), bool(headline))

