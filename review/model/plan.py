"""The plan as typed objects (SPEC §3.1), declared once with pydantic.

Each field carries its type, default, allowed values and a one-line description; the loader
validates YAML into these models and ``docs/plan-format.md``'s field table is generated from the
descriptions (``python -m review.model.plan``). Past validation, code receives these objects and
never re-checks the input.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Annotated, Iterator, Literal, get_args

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      PlainSerializer, model_validator)

from review.errors import quoted
from review.model.ids import file_name_problem, is_valid_id
from review.model.limits import MAX_MAGNITUDE
from review.model.periods import Calendar, Period, calendar_date

DEFAULT_CHALLENGE_CATEGORIES = {
    "financial": {"ar": "مالية", "en": "Financial"},
    "technical": {"ar": "فنية", "en": "Technical"},
    "administrative": {"ar": "إدارية", "en": "Administrative"},
    "legislative": {"ar": "تشريعية", "en": "Legislative"},
    "human_resources": {"ar": "موارد بشرية", "en": "Human resources"},
    "coordination": {"ar": "تنسيق", "en": "Coordination"},
    "security": {"ar": "أمنية", "en": "Security"},
    "data": {"ar": "بيانات", "en": "Data"},
    "other": {"ar": "أخرى", "en": "Other"},
}


def _check_id(value: str) -> str:
    if not is_valid_id(value):
        raise ValueError(f"expected a code of letters, digits, '.', '_' or '-' (at most 64, "
                         f"starting with a letter or digit, no '..'), got {quoted(value)}")
    return value


def _check_file_id(value: str) -> str:
    problem = file_name_problem(value)
    if problem:
        raise ValueError(f"{value!r} {problem}; choose another id")
    return value


def _check_sector_id(value: str) -> str:
    problem = file_name_problem(value, reserved=True)
    if problem:
        raise ValueError(f"{value!r} {problem}; choose another id (the pack is named <sector id>.docx)")
    return value


def _check_magnitude(value: float) -> float:
    # NaN and infinities are refused by the models' allow_inf_nan=False before this runs.
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"expected a number between -{MAX_MAGNITUDE:.0e} and {MAX_MAGNITUDE:.0e}, "
                         f"got {value!r}")
    return value


def _parse_period(value: object) -> Period:
    if isinstance(value, Period):
        return value
    text = str(value)
    try:
        return Period.parse(text)
    except ValueError:
        raise ValueError(f"expected a period like '2024-Q3' (quarter 1 to 4), got {quoted(text)}") from None


Id = Annotated[str, AfterValidator(_check_id)]
#: An id that names a file or folder: the plan's (output folder) and the entities' (form files).
FileId = Annotated[str, AfterValidator(_check_id), AfterValidator(_check_file_id)]
#: A sector id, which names its pack beside the files every build writes.
SectorId = Annotated[str, AfterValidator(_check_id), AfterValidator(_check_sector_id)]
#: Every number of the plan: finite (see _Model) and within what a pack can print.
Number = Annotated[float, AfterValidator(_check_magnitude)]
PeriodField = Annotated[Period, BeforeValidator(_parse_period), PlainSerializer(str)]


def _date_text(value: object) -> str:
    # YAML reads an unquoted 1445-01-15 as a (proleptic Gregorian) date: keep its digits, which the
    # plan's calendar gives their meaning (calendar_date).
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"expected a date like 2024-10-15 (in the plan's calendar), got {quoted(str(value))}")
    return value.strip()


#: A day written ``YYYY-MM-DD`` in the plan's calendar (a Hijri plan's deadlines are Hijri dates).
DateText = Annotated[str, BeforeValidator(_date_text)]


class _Model(BaseModel):
    # Unknown keys are refused so that a typo ('directon') is reported, not ignored.
    # NaN and infinities (YAML .nan, .inf) would reach every formula and print as 'nan' in a pack.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class Text(_Model):
    """A human-readable text in Arabic and/or English; a plain string stands for both."""

    ar: str | None = Field(None, description="Arabic wording")
    en: str | None = Field(None, description="English wording")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: object) -> object:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return {"ar": str(value), "en": str(value)}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> "Text":
        if not (self.ar or self.en):
            raise ValueError("expected a text in 'ar' and/or 'en', got neither")
        return self

    def get(self, lang: str) -> str:
        """Return the wording in ``lang``, falling back to the other language."""
        if lang == "en":
            return self.en or self.ar or ""
        return self.ar or self.en or ""


class EvaluationSettings(_Model):
    """Thresholds and method of SPEC §4."""

    on_track: Number = Field(95, ge=0, description="achievement % at or above which a result is on track")
    at_risk: Number = Field(75, ge=0, description="achievement % at or above which a result is at risk (else off track)")
    method: Literal["ratio", "progress"] = Field("ratio", description="achievement formula: ratio of actual to target, or progress from start")
    cap: Number = Field(100, gt=0, description="scores are achievement clamped to 0…cap")

    @model_validator(mode="after")
    def _ordered(self) -> "EvaluationSettings":
        if self.at_risk > self.on_track:
            raise ValueError(f"expected at_risk ≤ on_track, got at_risk={self.at_risk:g} and on_track={self.on_track:g}")
        return self


class Entity(_Model):
    """A government entity (ministry, authority) that reports figures."""

    id: FileId = Field(description="code used in data files, e.g. MOH; also its form's file name")
    name: Text = Field(description="full name")
    focal_point: str | None = Field(None, description="name of the entity's focal point (نقطة الاتصال)")
    email: str | None = Field(None, description="the focal point's e-mail")


class Signatory(_Model):
    """One line of a pack's approval block: who prepared, reviewed or approved it."""

    name: Text = Field(description="the person's name")
    title: Text | None = Field(None, description="their position, e.g. مدير إدارة المتابعة")


class Approval(_Model):
    """The approval block printed after a pack's cover (أعدّه / راجعه / اعتمده); every line optional."""

    prepared_by: Signatory | None = Field(None, description="who prepared the pack (أعدّه)")
    reviewed_by: Signatory | None = Field(None, description="who reviewed it (راجعه)")
    approved_by: Signatory | None = Field(None, description="who approved it (اعتمده)")


class Indicator(_Model):
    """A performance indicator with annual targets."""

    id: Id = Field(description="code used in data files")
    name: Text = Field(description="indicator name")
    unit: Text | None = Field(None, description="unit of measure, e.g. % or كم")
    entity: Id = Field(description="id of the entity that reports it")
    direction: Literal["up", "down"] = Field("up", description="up: higher is better; down: lower is better")
    measure: Literal["level", "cumulative"] = Field("level", description="level: each quarter's value stands alone; cumulative: quarterly values add up over the year")
    baseline: Number | None = Field(None, description="value before the plan; start of the interpolation when there is no previous year's target")
    baseline_year: int | None = Field(None, ge=1, le=9999, description="year of the baseline (informative only)")
    targets: dict[int, Number] = Field(description="annual target per year of the plan's calendar (a year left out has no data)")
    quarterly_targets: dict[PeriodField, Number] = Field(default_factory=dict, description="explicit target per period (year to date for cumulative indicators)")
    weight: Number = Field(1, ge=0, description="weight in the objective's score")
    decimals: int | None = Field(None, ge=0, le=6, description="decimals shown for values (display only)")
    method: Literal["ratio", "progress"] | None = Field(None, description="overrides evaluation.method for this indicator")


class Objective(_Model):
    """A strategic objective of a sector, measured by its indicators."""

    id: Id = Field(description="code")
    name: Text = Field(description="objective name")
    weight: Number = Field(1, ge=0, description="weight in the sector's score")
    indicators: list[Indicator] = Field(min_length=1, description="the objective's indicators")


class Project(_Model):
    """A project (مشروع) with a schedule and optional budget."""

    id: Id = Field(description="code used in data files")
    name: Text = Field(description="project name")
    entity: Id = Field(description="id of the implementing entity")
    budget: Number | None = Field(None, ge=0, description="total budget (plan currency)")
    start: PeriodField = Field(description="first period of the schedule, e.g. 1444-Q1")
    end: PeriodField = Field(description="last period of the schedule")
    planned_progress: dict[PeriodField, Annotated[Number, Field(ge=0, le=100)]] = Field(default_factory=dict, description="planned cumulative progress % per period (else linear)")

    @model_validator(mode="after")
    def _ordered(self) -> "Project":
        if self.end < self.start:
            raise ValueError(f"expected end on or after start, got start {self.start} and end {self.end}")
        return self


class Sector(_Model):
    """A sector of the plan; one briefing pack each."""

    id: SectorId = Field(description="code; also the pack's file name")
    name: Text = Field(description="sector name")
    lead_entity: Id | None = Field(None, description="id of the leading entity")
    weight: Number = Field(1, ge=0, description="weight in the plan's score")
    objectives: list[Objective] = Field(min_length=1, description="the sector's objectives")
    projects: list[Project] = Field(default_factory=list, description="the sector's projects")

    def indicators(self) -> Iterator[tuple[Objective, Indicator]]:
        """Yield (objective, indicator) pairs in plan order."""
        for objective in self.objectives:
            for indicator in objective.indicators:
                yield objective, indicator


class Plan(_Model):
    """A government plan followed up quarterly."""

    id: FileId = Field(description="code; the output folder's name")
    title: Text = Field(description="plan title shown on every pack")
    organization: Text = Field(description="issuer shown on the cover")
    calendar: Calendar = Field("gregorian", description="calendar of the plan's years and periods: hijri or gregorian")
    language: Literal["ar", "en"] = Field("ar", description="language of the packs")
    digits: Literal["latin", "arabic"] = Field("latin", description="digits in the packs: latin (0123) or arabic (٠١٢٣)")
    classification: Text | None = Field(None, description="marking printed on every page, e.g. للاستخدام الرسمي")
    currency: str | None = Field(None, description="currency of budgets and spending, e.g. OMR")
    notice: Text | None = Field(None, description="a note printed on the cover, e.g. that figures are illustrative")
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings, description="thresholds and method")
    approval: Approval | None = Field(None, description="approval block printed in every pack: prepared_by, reviewed_by, approved_by")
    distribution: list[Text] = Field(default_factory=list, description="distribution list printed in every pack, one recipient per item")
    entities: list[Entity] = Field(min_length=1, description="reporting entities")
    sectors: list[Sector] = Field(min_length=1, description="sectors, each with objectives and projects")
    challenge_categories: dict[str, Text] = Field(
        default_factory=lambda: {k: Text(**v) for k, v in DEFAULT_CHALLENGE_CATEGORIES.items()},
        description="allowed challenge categories: id → label")
    deadlines: dict[PeriodField, DateText] = Field(
        default_factory=dict, description="submission deadline per period, a date in the plan's calendar "
                                          "(e.g. '1444-Q4': 1445-01-15); see review receive and status")

    @model_validator(mode="after")
    def _deadlines_in_calendar(self) -> "Plan":
        for period, text in self.deadlines.items():
            try:
                calendar_date(text, self.calendar)
            except ValueError as exc:
                raise ValueError(f"deadlines[{period}]: {exc}") from None
        return self

    def deadline(self, period: Period) -> dt.date | None:
        """Return the Gregorian day of the plan's deadline for ``period``, or None when it sets none."""
        text = self.deadlines.get(period)
        return None if text is None else calendar_date(text, self.calendar)

    # Lookups, built once; the model is frozen so they never go stale.
    @cached_property
    def entity_by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    @cached_property
    def sector_by_id(self) -> dict[str, Sector]:
        return {s.id: s for s in self.sectors}

    @cached_property
    def indicator_index(self) -> dict[str, tuple[Sector, Objective, Indicator]]:
        return {i.id: (s, o, i) for s in self.sectors for o, i in s.indicators()}

    @cached_property
    def project_index(self) -> dict[str, tuple[Sector, Project]]:
        return {p.id: (s, p) for s in self.sectors for p in s.projects}

    def indicators(self) -> Iterator[tuple[Sector, Objective, Indicator]]:
        """Yield (sector, objective, indicator) triples in plan order."""
        for sector in self.sectors:
            for objective, indicator in sector.indicators():
                yield sector, objective, indicator

    def projects(self) -> Iterator[tuple[Sector, Project]]:
        """Yield (sector, project) pairs in plan order."""
        for sector in self.sectors:
            for project in sector.projects:
                yield sector, project


def field_table(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """Return (field, type, default, description) rows of a model, for the documentation."""
    rows = []
    for name, info in model.model_fields.items():
        # Every field is annotated, so pydantic never leaves ``annotation`` as None here.
        assert info.annotation is not None
        annotation = str(info.annotation) if get_args(info.annotation) else info.annotation.__name__
        annotation = re.sub(r"\b(typing|__main__|review\.model\.plan|review\.model\.periods)\.", "", annotation)
        annotation = re.sub(r"Annotated\[(\w+),[^\]]*\]", r"\1", annotation).replace("NoneType", "None")
        if info.is_required():
            default = "required"
        elif info.default_factory is not None:
            default = {"challenge_categories": "the nine default categories",
                       "evaluation": "the defaults below"}.get(name, "empty")
        else:
            default = repr(info.default) if info.default is not None else "—"
        rows.append((name, annotation, default, info.description or ""))
    return rows


if __name__ == "__main__":  # pragma: no cover - documentation helper
    for model in (Plan, EvaluationSettings, Approval, Signatory, Entity, Sector, Objective, Indicator, Project, Text):
        print(f"\n### `{model.__name__}` — {(model.__doc__ or '').strip().splitlines()[0]}\n")
        print("| field | type | default | meaning |\n|---|---|---|---|")
        for row in field_table(model):
            print("| `{}` | {} | {} | {} |".format(*[c.replace("|", "\\|") for c in row]))
