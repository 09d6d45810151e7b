"""The OpenAPI 3.1 description of /api/v1/, kept beside the endpoints it describes."""

from __future__ import annotations

from typing import Any

from qa_app.reporting.labels import STATUS_WORDS

PAGE_PARAMS = [
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
]

NULLABLE_NUMBER = {"type": ["number", "null"]}
FILTER_TEXT = {"type": "string", "maxLength": 100, "pattern": "^[^\\x00-\\x1f]*$"}


def _page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "page", "per_page", "total", "next"],
        "properties": {
            "data": {"type": "array", "items": item},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "description": "URL of the next page"},
        },
    }


ERROR = {"type": "object", "required": ["error", "message"],
         "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}

AGENCY = {"type": "object", "required": ["id", "name", "type"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "type": {"type": "string", "enum": ["local_authority", "education", "health",
                                        "social_care", "setting"]}}}

CYCLE = {"type": "object", "required": ["id", "name", "start_date", "end_date",
                                        "academic_year", "status"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "start_date": {"type": "string", "format": "date"},
    "end_date": {"type": "string", "format": "date"},
    "academic_year": {"type": "string", "pattern": "^[0-9]{4}/[0-9]{2}$"},
    "status": {"type": "string", "enum": ["open", "closed"]}}}

RATE = {"type": "object", "required": ["period_kind", "period", "measure", "scope", "breakdown",
                                       "agency_id", "agency", "n", "good", "rate", "ci_low",
                                       "ci_high", "target", "rag", "status", "status_text",
                                       "weighted_rate", "weighted_ci_low", "weighted_ci_high",
                                       "computed_at"],
        "properties": {
            "period_kind": {"type": "string", "enum": ["cycle", "academic_year"]},
            "period": {"type": "string",
                       "description": "the cycle id, or an academic year such as 2025/26"},
            "computed_at": {"type": "string", "format": "date-time"},
            "measure": {"type": "string"}, "scope": {"type": "string"},
            "breakdown": {"type": "string"},
            "agency_id": {"type": ["integer", "null"],
                          "description": "null for the partnership as a whole"},
            "agency": {"type": ["string", "null"]},
            "n": {"type": "integer", "minimum": 0}, "good": {"type": "integer", "minimum": 0},
            "rate": NULLABLE_NUMBER, "ci_low": NULLABLE_NUMBER, "ci_high": NULLABLE_NUMBER,
            "target": NULLABLE_NUMBER,
            "weighted_rate": {**NULLABLE_NUMBER, "description": (
                "the stratum-weighted estimate, in percent: set only on a cycle's partnership "
                "row for plans_good_or_better, scope all, when its sample took transition-year "
                "and other plans at different fractions. Each stratum's rate then counts by its "
                "share of the eligible plans when the sample was drawn; rate, n and good stay "
                "the raw pooled figures, and rag and status follow the weighted rate")},
            "weighted_ci_low": {**NULLABLE_NUMBER, "description": (
                "95% interval of weighted_rate: Wilson on the effective sample size")},
            "weighted_ci_high": NULLABLE_NUMBER,
            "rag": {"type": ["string", "null"], "enum": ["green", "amber", "red", None],
                    "description": "null when there is no target, or when too few records "
                                   "were counted to judge the rate (see status)"},
            "status": {"type": "string", "enum": list(STATUS_WORDS), "description": (
                "green: on target; amber: near target; red: below target; "
                "too_few_to_judge: a rate from an audit sample smaller than the minimum set "
                "in targets.yaml (rag.min_n), or nothing counted; no_target: no target set")},
            "status_text": {"type": "string", "enum": list(STATUS_WORDS.values()),
                            "description": "the status in the words pages and letters use"}}}

AGREEMENT = {"type": "object", "required": ["cycle_id", "cycle", "computed_at", "rubric_id",
                                            "criterion_id", "pairs", "agreed", "exact_rate",
                                            "kappa", "ac1"],
             "properties": {
                 "cycle_id": {"type": "integer"}, "cycle": {"type": "string"},
                 "computed_at": {"type": "string", "format": "date-time"},
                 "rubric_id": {"type": "string"}, "criterion_id": {"type": "string"},
                 "pairs": {"type": "integer", "minimum": 0},
                 "agreed": {"type": "integer", "minimum": 0},
                 "exact_rate": {**NULLABLE_NUMBER, "description": "percent of pairs with the "
                                                                  "same grade"},
                 "kappa": {**NULLABLE_NUMBER, "description": (
                     "Cohen's kappa with quadratic weights on the grades' ranks on the "
                     "rubric's scale; null when undefined (for example every grade the same)")},
                 "ac1": {**NULLABLE_NUMBER, "description": (
                     "Gwet's AC1 on the same pairs: unlike kappa it stays meaningful when "
                     "nearly every grade is the same. Computed criteria (worked out from "
                     "dates) are left out of both")}}}

TARGETS = {"type": "object", "required": ["data"], "properties": {
    "data": {"type": "array", "items": {"type": "object", "required": [
        "measure", "scope", "academic_year", "target"], "properties": {
        "measure": {"type": "string"}, "scope": {"type": "string"},
        "academic_year": {"type": "string"}, "target": {"type": "number"}}}},
    "advice_deadline_days": {"type": "integer"},
    "assessment_deadline_weeks": {"type": "integer"},
    "transition_years": {"type": "array", "items": {"type": "integer"}},
    "amber_margin_points": {"type": "number", "description": "near target within this margin"},
    "min_n": {"type": "integer", "minimum": 1,
              "description": "a rate from an audit sample smaller than this is too few to "
                             "judge; no improvement action opens or closes on fewer records"}}}


SURVEY_SHARE = {
    "n": {"type": "integer", "minimum": 0, "description": "answers counted"},
    "good": {"type": ["integer", "null"], "minimum": 0, "description": (
        "answers good or better (confident or better); null when fewer than min_n answers "
        "were counted, so that no figure can point to one family or member of staff")},
    "rate": {**NULLABLE_NUMBER, "description": "percent good or better; null below min_n"},
    "rate_text": {"type": ["string", "null"],
                  "description": "the rate as the pages write it; null below min_n"},
    "provisional": {"type": "boolean", "description": (
        "fewer than min_n answers, or the period's cycle or the survey is still open: "
        "the figure may change")},
}

SURVEY_MEASURES = {
    "type": "object",
    "required": ["academic_year", "cycle_id", "period", "agency_id", "agency", "min_n",
                 "family", "practitioner", "results_url"],
    "properties": {
        "academic_year": {"type": "string", "pattern": "^[0-9]{4}/[0-9]{2}$"},
        "cycle_id": {"type": ["integer", "null"], "description": "null for the whole year"},
        "period": {"type": "string", "description": "the cycle's name, or the academic year"},
        "agency_id": {"type": ["integer", "null"],
                      "description": "null for the partnership as a whole"},
        "agency": {"type": ["string", "null"]},
        "min_n": {"type": "integer", "minimum": 1},
        "family": {"type": "object", "required": [
            "measure", "n", "good", "rate", "rate_text", "target", "provisional", "status",
            "status_text"], "properties": {
            "measure": {"type": "string", "enum": ["families_experience_good_or_better"]},
            **SURVEY_SHARE,
            "target": NULLABLE_NUMBER,
            "status": {"type": "string", "enum": list(STATUS_WORDS)},
            "status_text": {"type": "string", "enum": list(STATUS_WORDS.values())}},
            "description": "families rating their experience good or better: the headline "
                           "answers of the cycle's families, or every cycle's of the year"},
        "practitioner": {"type": ["object", "null"], "required": [
            "run_id", "run", "closes_on", "n", "good", "rate", "rate_text", "still_open",
            "provisional"], "properties": {
            "run_id": {"type": "integer"}, "run": {"type": "string"},
            "closes_on": {"type": "string", "format": "date"},
            "still_open": {"type": "boolean"},
            **SURVEY_SHARE},
            "description": "practitioners confident or better, every question of the newest "
                           "survey that closed during the period together; null when none did"},
        "results_url": {"type": "string", "description": "the surveys results page"},
    },
}


def _get(summary: str, schema: dict[str, Any], params: list[dict[str, Any]],
         not_found: str | None = None) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": ERROR}}}
    missing = {"404": {"description": not_found, **error}} if not_found else {}
    return {"get": {
        "summary": summary,
        "parameters": params,
        "security": [{"token": []}],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
            "400": {"description": "A query parameter is not valid", **error},
            "401": {"description": "No valid API token was sent, or the token has expired "
                                   "(error `token_expired`)", **error},
            **missing,
        },
    }}


def openapi_document() -> dict[str, Any]:
    rate_filters = [
        {"name": "period_kind", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["cycle", "academic_year"]}},
        {"name": "period", "in": "query", "required": False, "schema": FILTER_TEXT},
        {"name": "measure", "in": "query", "required": False, "schema": FILTER_TEXT},
        {"name": "scope", "in": "query", "required": False, "schema": FILTER_TEXT},
        {"name": "agency_id", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EHCP quality assurance API",
            "version": "1.0.0",
            "description": (
                "Read-only figures for reporting tools. Send a personal API token "
                "(created on the API tokens page) as `Authorization: Bearer <token>`. "
                "A token works for 90 days unless the service sets another lifetime, and "
                "stops working when its owner changes their password. "
                "An agency lead's or auditor's token sees only that agency's figures."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": {
            "/api/v1/agencies": _get("Agencies", _page_of(AGENCY), PAGE_PARAMS),
            "/api/v1/cycles": _get("Audit cycles", _page_of(CYCLE), PAGE_PARAMS),
            "/api/v1/targets": _get("Targets from targets.yaml", TARGETS, []),
            "/api/v1/rates": _get("Current rates of every period", _page_of(RATE),
                                  rate_filters + PAGE_PARAMS),
            "/api/v1/agreement": _get(
                "Agreement between two panel auditors in each cycle (not for agency leads)",
                _page_of(AGREEMENT),
                [{"name": "cycle_id", "in": "query", "required": False,
                  "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                 *PAGE_PARAMS]),
            "/api/v1/surveys/measures": _get(
                "What families and practitioners say in a year or cycle, as on the dashboard "
                "(administrators and QI managers only; never a written or single answer)",
                SURVEY_MEASURES,
                [{"name": "year", "in": "query", "required": False,
                  "description": "an academic year such as 2025/26; by default the newest "
                                 "with figures, or the cycle's",
                  "schema": {"type": "string", "pattern": "^[0-9]{4}/[0-9]{2}$"}},
                 {"name": "cycle_id", "in": "query", "required": False,
                  "description": "one cycle of the year; by default the whole year",
                  "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                 {"name": "agency_id", "in": "query", "required": False,
                  "description": "one agency; by default the whole partnership",
                  "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}],
                not_found="No such academic year, cycle of that year or agency; or no year "
                          "was given and no academic year has figures yet"),
        },
    }
