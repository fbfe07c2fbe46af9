"""Proposed recommendations (SPEC §4.6): rules from ``templates/recommendations.yaml`` applied to a period.

The rules file is declared here once (one pydantic model per rule kind, its thresholds with their
defaults and bounds) and validated like the plan: every problem of the file at once, located by
line. :func:`propose` is pure: it reads the evaluated history, the period's data and the register
of adopted recommendations, and returns :class:`Proposal` values in a fixed order
(sectors in plan order, then rules in file order, then items in plan or register order; plan-wide
proposals last).

Where a proposal goes: an indicator's or project's goes to the sector listing it; a sector's to
that sector; an adopted recommendation's to its ``sector_id`` (plan-wide when it has none or an
unknown one). An entity with incomplete data is proposed in *every sector where at least one of
its indicators or projects lacks a value* this quarter — each sector lead sees what is missing
from their own pack — and ``{missing}`` lists that sector's items only.
"""

from __future__ import annotations

import functools

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, ClassVar, Iterator, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from review.model import status as st
from review.errors import InputError, Location, Problem, at_line
from review.evaluate import PeriodResult
from review.language.formats import ARABIC, LATIN, format_number, format_percent, indicator_decimals, localize_digits
from review.model.data import DataSet
from review.model.periods import Period, period_short_label
from review.language.phrases import TEMPLATES_DIR, Phrases, load_phrases
from review.intake.yamlfile import LoadedYaml, data_path, describe_error, format_path, load_yaml
from review.model.plan import Id, Indicator, Plan
from review.recommend.register import CLOSED, Recommendation

RULES_FILE = TEMPLATES_DIR / "recommendations.yaml"
#: At most this many missing items are named in an incomplete-data proposal; the rest are counted.
MISSING_SHOWN = 6

PLACEHOLDERS_COMMON = ("sector", "period")
#: Keys of a finder's values that are not placeholders: who is asked to act, which items (ids, comma-separated).
OWNER, COVERS = "_owner", "_covers"
_INDICATOR = ("indicator", "entity", "objective", "target", "actual", "achievement")
_PROJECT = ("project", "entity", "progress")


@dataclass(frozen=True)
class Proposal:
    """A proposed recommendation (from the rules in templates/recommendations.yaml)."""

    rule: str
    sector_id: str | None
    text: str
    evidence: str
    #: The entity asked to act (an entity id of the plan), "" when the rule names none.
    owner: str = ""
    #: The indicators and projects (ids) it is about, in plan order; () for none.
    covers: tuple[str, ...] = ()


def _no_bool(value: object) -> object:
    # YAML reads `yes`/`true` as booleans, which pydantic would quietly take for 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    return value


Threshold = Annotated[float, BeforeValidator(_no_bool), Field(ge=0)]
Count = Annotated[int, BeforeValidator(_no_bool)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Wording(_Model):
    """A text in both languages, with {placeholders}."""

    ar: str = Field(min_length=1, description="Arabic wording")
    en: str = Field(min_length=1, description="English wording")

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ar


class DelayWording(_Model):
    """Wording of a project past its end (``delayed``) or behind its schedule (``behind``)."""

    delayed: Wording = Field(description="the project is past its end period and not complete")
    behind: Wording = Field(description="the schedule achievement is below the threshold")


class GapWording(_Model):
    """Wording per direction of a budget gap."""

    spending_ahead: Wording = Field(description="budget execution far above physical progress")
    progress_ahead: Wording = Field(description="physical progress far above budget execution")


#: A rule's wording: one text, or one per variant of what the rule found.
AnyWording = Wording | DelayWording | GapWording


class Rule(_Model):
    """Fields every rule has; each kind adds its thresholds and narrows its wording's type."""

    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ()

    id: Id = Field(description="code, unique in the file")
    kind: str = Field(description="what the rule looks for")
    enabled: bool = Field(True, description="false switches the rule off")
    text: AnyWording = Field(description="the recommendation, {ar, en} or one per variant")
    evidence: AnyWording = Field(description="the facts it rests on, {ar, en} or one per variant")

    @classmethod
    def placeholders(cls) -> tuple[str, ...]:
        """Return the placeholder names the kind's wording may use."""
        return PLACEHOLDERS_COMMON + cls.PLACEHOLDERS


class _OneWording(Rule):
    """A rule worded the same whatever it finds."""

    text: Wording = Field(description="the recommendation, {ar, en}")
    evidence: Wording = Field(description="the facts it rests on, {ar, en}")


class StalledIndicator(_OneWording):
    """An indicator off track for at least ``min_quarters`` quarters in a row."""

    PLACEHOLDERS = _INDICATOR + ("previous_achievement", "previous_period", "quarters", "nth")
    kind: Literal["stalled_indicator"]
    min_quarters: Count = Field(2, ge=2, description="consecutive off-track quarters (2 = the stalled status)")


class OffTrackWithoutChallenge(_OneWording):
    """An off-track indicator for which no challenge names it this quarter."""

    PLACEHOLDERS = _INDICATOR + ("status",)
    kind: Literal["off_track_without_challenge"]
    below_achievement: Threshold | None = Field(None, description="achievement % below which it counts (default: the plan's at_risk)")
    include_stalled: bool = Field(True, description="stalled indicators count too")


class IncompleteData(_OneWording):
    """An entity whose data completeness is below the threshold."""

    PLACEHOLDERS = ("entity", "completeness", "received", "expected", "missing", "missing_count")
    kind: Literal["incomplete_data"]
    below_completeness: Threshold = Field(100, le=100, description="completeness % below which it counts")


class ProjectDelayed(Rule):
    """A project past its end and not complete, or behind its schedule."""

    PLACEHOLDERS = _PROJECT + ("planned", "achievement", "start", "end")
    kind: Literal["project_delayed"]
    below_achievement: Threshold = Field(75, description="schedule achievement % below which a project is behind")
    text: DelayWording = Field(description="wording for `delayed` and `behind`")
    evidence: DelayWording = Field(description="evidence for `delayed` and `behind`")


class BudgetGap(Rule):
    """Budget execution and physical progress far apart, in either direction."""

    PLACEHOLDERS = _PROJECT + ("budget_execution", "gap", "spent", "budget")
    kind: Literal["budget_gap"]
    min_gap_pp: Threshold = Field(25, description="least gap in percentage points")
    text: GapWording = Field(description="wording for `spending_ahead` and `progress_ahead`")
    evidence: GapWording = Field(description="evidence for `spending_ahead` and `progress_ahead`")


class SectorDecline(_OneWording):
    """A sector whose score fell by more than ``min_drop_pp`` since the previous quarter."""

    PLACEHOLDERS = ("score", "previous_score", "previous_period", "drop", "status")
    kind: Literal["sector_decline"]
    min_drop_pp: Threshold = Field(10, description="a fall of more than this many points counts")


class OverdueRecommendation(_OneWording):
    """An adopted recommendation past its due period, neither done nor dropped."""

    PLACEHOLDERS = ("id", "recommendation", "entity", "adopted", "due", "status", "note", "quarters_late")
    kind: Literal["overdue_recommendation"]
    min_quarters_late: Count = Field(1, ge=1, description="quarters past the due period before it counts")


#: kind → model; the order is the documentation's.
KINDS: dict[str, type[Rule]] = {
    "stalled_indicator": StalledIndicator,
    "off_track_without_challenge": OffTrackWithoutChallenge,
    "incomplete_data": IncompleteData,
    "project_delayed": ProjectDelayed,
    "budget_gap": BudgetGap,
    "sector_decline": SectorDecline,
    "overdue_recommendation": OverdueRecommendation,
}


@dataclass(frozen=True)
class Rules:
    """The validated rules of one file, in file order (disabled ones included)."""

    rules: tuple[Rule, ...]
    file: Path | None = None

    def enabled(self) -> list[Rule]:
        """Return the rules to apply."""
        return [rule for rule in self.rules if rule.enabled]


# -- loading ------------------------------------------------------------------------------------

def _wordings(node: object, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(node, Wording):
        yield path + ("ar",), node.ar
        yield path + ("en",), node.en
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _wordings(getattr(node, name), path + (name,))


def _placeholder_problem(text: str, allowed: tuple[str, ...], kind: str) -> str | None:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return (f"expected {{placeholders}} in matching braces (write a literal brace as {{{{ or }}}}), "
                f"got {text!r}")
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            shown = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
            return f"expected a plain placeholder such as {{{name}}} (numbers arrive formatted), got {shown!r}"
        if name not in allowed:
            names = ", ".join("{" + a + "}" for a in allowed)
            return f"expected a placeholder of the {kind} kind ({names}), got {'{' + name + '}'!r}"
    return None


_BOUNDS = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">", "less_than": "<"}


def _fields_at(model: type[BaseModel], names: tuple) -> list[str]:
    """Return the field names of the model found by following ``names`` from ``model``."""
    for name in names:
        annotation = model.model_fields[name].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return list(model.model_fields)


def _problem(loaded: LoadedYaml, path: tuple, message: str) -> Problem:
    return Problem(loaded.file, at_line(loaded.line_of(path)), format_path(path), message)


def _rule_problems(loaded: LoadedYaml, index: int, raw: object) -> tuple[Rule | None, list[Problem]]:
    base = ("rules", index)
    if not isinstance(raw, dict):
        return None, [_problem(loaded, base, f"expected a mapping of rule fields (id, kind, text, evidence, …), got {raw!r}")]
    kind = raw.get("kind")
    if kind is None:
        return None, [_problem(loaded, base + ("kind",), "required field is missing (expected one of "
                               + ", ".join(map(repr, KINDS)) + ")")]
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None, [_problem(loaded, base + ("kind",), f"expected one of {', '.join(map(repr, KINDS))}, got {kind!r}")]
    try:
        rule = model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            path = base + data_path(error["loc"])
            if error["type"] == "extra_forbidden":
                fields = ", ".join(_fields_at(model, path[2:-1]))
                message = f"unknown field for a {kind} rule (expected one of {fields})"
            elif error["type"] in _BOUNDS:
                bound = next(iter((error.get("ctx") or {}).values()))
                message = f"expected a number {_BOUNDS[error['type']]} {bound:g}, got {error.get('input')!r}"
            else:
                message = describe_error(error)
            problems.append(_problem(loaded, path, message))
        return None, problems
    problems = []
    for path, text in _wordings(rule, base):
        wrong = _placeholder_problem(text, model.placeholders(), kind)
        if wrong:
            problems.append(_problem(loaded, path, wrong))
    return rule, problems


def _line(problem: Problem) -> int:
    return problem.where.line or 0


def load_rules(path: Path | None = None) -> Rules:
    """Return the validated rules of ``path`` (default ``templates/recommendations.yaml``).

    Raises InputError listing every problem of the file, each with its line: unknown fields,
    unknown kinds, thresholds out of range, unknown placeholders, duplicate ids. A file read
    before and unchanged since (same size and modification time) is not read again.
    """
    path = Path(path) if path is not None else RULES_FILE
    try:
        stat = path.stat()
    except OSError:
        return _load_rules(path, None)
    return _load_rules(path, (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _load_rules(path: Path, version: tuple | None) -> Rules:
    loaded = load_yaml(path)
    data = loaded.data
    if not isinstance(data, dict):
        raise InputError([Problem(path, Location(line=1), "", f"expected a mapping with a 'rules' list, got {type(data).__name__}")])
    problems = [_problem(loaded, (key,), "unknown field (expected only 'rules')") for key in data if key != "rules"]
    raw_rules = data.get("rules")
    if raw_rules is None:
        problems.append(_problem(loaded, (), "rules: required field is missing (expected a list of rules)"))
        raw_rules = []
    elif not isinstance(raw_rules, list):
        problems.append(_problem(loaded, ("rules",), f"expected a list of rules, got {raw_rules!r}"))
        raw_rules = []
    rules: list[Rule] = []
    first_line: dict[str, int | None] = {}
    for index, raw in enumerate(raw_rules):
        rule, found = _rule_problems(loaded, index, raw)
        problems.extend(found)
        ident = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(ident, str) and ident in first_line:
            problems.append(_problem(loaded, ("rules", index, "id"),
                                     f"duplicate rule id {ident!r} (first on line {first_line[ident]})"))
        elif isinstance(ident, str):
            first_line[ident] = loaded.line_of(("rules", index, "id"))
        if rule is not None:
            rules.append(rule)
    if problems:
        raise InputError(sorted(problems, key=_line))
    return Rules(tuple(rules), path)


# -- proposing ----------------------------------------------------------------------------------

class _Context:
    """The period's figures and the wording helpers every rule uses."""

    def __init__(self, plan: Plan, data: DataSet, history: list[PeriodResult], register: list[Recommendation],
                 lang: str, digits: str, phrases: Phrases):
        self.plan, self.data, self.register = plan, data, register
        self.lang, self.digits, self.phrases = lang, digits, phrases
        self.result = history[-1]
        self.period = self.result.period
        self.indicators_by_period = {r.period: {i.id: i for i in r.indicators} for r in history}

    def text(self, value) -> str:
        return value.get(self.lang) if value is not None else ""

    def percent(self, value: float | None) -> str:
        return format_percent(value, 1, self.lang, self.digits)

    def number(self, value: float | None, decimals: int = 0) -> str:
        return format_number(value, decimals, self.lang, self.digits)

    def quantity(self, value: float | None, indicator: Indicator, decimals: int) -> str:
        """Return an indicator's value with its unit («80%», «120 كم»)."""
        number = self.number(value, decimals)
        unit = self.text(indicator.unit).strip()
        if value is None or not unit:
            return number
        if unit in ("%", "٪"):
            return number + ("٪" if self.digits == ARABIC else "%")
        return f"{number} {unit}"

    def period_text(self, period: Period | None) -> str:
        if period is None:
            return "—"
        return localize_digits(period_short_label(period, self.plan.calendar, self.lang), self.digits)

    def entity(self, entity_id: str) -> str:
        entity = self.plan.entity_by_id.get(entity_id)
        return self.text(entity.name) if entity else (entity_id or self.phrases("register.entities_concerned"))

    def sector(self, sector_id: str | None) -> str:
        sector = self.plan.sector_by_id.get(sector_id or "")
        return self.text(sector.name) if sector else ""

    def join(self, items: list[str]) -> str:
        return ("، " if self.lang == "ar" else ", ").join(items)

    def quoted(self, name: str) -> str:
        return f"«{name}»" if self.lang == "ar" else f"“{name}”"

    def nth(self, count: int) -> str:
        key = f"register.nth_{count}"
        return self.phrases(key) if self.phrases.has(key) else self.phrases("register.nth_other", n=self.number(count))

    def indicator_values(self, result) -> dict[str, str]:
        sector, objective, indicator = self.plan.indicator_index[result.id]
        decimals = indicator_decimals(indicator, result.target, result.actual)
        return {"sector": self.text(sector.name), "period": self.period_text(self.period),
                "indicator": self.text(indicator.name), "entity": self.entity(indicator.entity),
                "objective": self.text(objective.name),
                "target": self.quantity(result.target, indicator, decimals),
                "actual": self.quantity(result.actual, indicator, decimals),
                "achievement": self.percent(result.achievement)}


Found = Iterator[tuple[str | None, str, dict[str, str]]]  # (sector id, wording variant, values)


def _stalled(rule: StalledIndicator, ctx: _Context) -> Found:
    at_risk = ctx.plan.evaluation.at_risk
    for result in ctx.result.indicators:
        if result.status not in (st.OFF_TRACK, st.STALLED):
            continue
        # Count the quarters in a row, back from this one, with an off-track achievement.
        quarters, period = 0, ctx.period
        while period in ctx.indicators_by_period:
            achievement = ctx.indicators_by_period[period][result.id].achievement
            if achievement is None or achievement >= at_risk:
                break
            quarters, period = quarters + 1, period.previous()
        if quarters < rule.min_quarters:
            continue
        previous = ctx.period.previous()
        prior = ctx.indicators_by_period[previous][result.id]
        yield result.sector, "", {**ctx.indicator_values(result), OWNER: result.entity, COVERS: result.id,
                                  "previous_achievement": ctx.percent(prior.achievement),
                                  "previous_period": ctx.period_text(previous), "quarters": ctx.number(quarters),
                                  "nth": ctx.nth(quarters)}


def _without_challenge(rule: OffTrackWithoutChallenge, ctx: _Context) -> Found:
    named = {c.indicator_id for c in ctx.data.get(ctx.period).challenges if c.indicator_id}
    for result in ctx.result.indicators:
        if result.id in named or result.achievement is None:
            continue
        if result.status == st.STALLED and not rule.include_stalled:
            continue
        if rule.below_achievement is None:
            counts = result.status in (st.OFF_TRACK, st.STALLED)
        else:
            counts = result.achievement < rule.below_achievement
        if counts:
            yield result.sector, "", {**ctx.indicator_values(result), OWNER: result.entity, COVERS: result.id,
                                      "status": ctx.phrases(f"status.{result.status}")}


def _incomplete(rule: IncompleteData, ctx: _Context) -> Found:
    period = ctx.period
    # Each entity's items by sector, in the plan's order, indexed once (not scanned per entity).
    owned: dict[str, dict[str, tuple[list, list]]] = {}
    names: dict[str, dict] = {}
    for sector in ctx.plan.sectors:
        names[sector.id] = {**{i.id: i.name for _, i in sector.indicators()}, **{p.id: p.name for p in sector.projects}}
        for _, indicator in sector.indicators():
            owned.setdefault(indicator.entity, {}).setdefault(sector.id, ([], []))[0].append(indicator.id)
        for project in sector.projects:
            owned.setdefault(project.entity, {}).setdefault(sector.id, ([], []))[1].append(project.id)
    for entity in ctx.result.entities:
        if entity.completeness is None or entity.completeness >= rule.below_completeness:
            continue
        for sector in ctx.plan.sectors:
            indicators, projects = owned.get(entity.id, {}).get(sector.id, ([], []))
            missing_ids = [ident for ident in indicators if ctx.data.value(ident, period) is None]
            missing_ids += [ident for ident in projects if ctx.data.project(ident, period) is None]
            missing = [ctx.text(names[sector.id][ident]) for ident in missing_ids]
            if not missing:
                continue
            shown = [ctx.quoted(name) for name in missing[:MISSING_SHOWN]]
            if len(missing) > MISSING_SHOWN:
                shown.append(ctx.phrases("register.and_more", count=ctx.number(len(missing) - MISSING_SHOWN)))
            yield sector.id, "", {"sector": ctx.text(sector.name), "period": ctx.period_text(period),
                                  OWNER: entity.id, COVERS: ",".join(missing_ids),
                                  "entity": ctx.entity(entity.id), "completeness": ctx.percent(entity.completeness),
                                  "received": ctx.number(entity.received), "expected": ctx.number(entity.expected),
                                  "missing": ctx.join(shown), "missing_count": ctx.number(len(missing))}


def _project_values(ctx: _Context, result) -> dict[str, str]:
    sector, project = ctx.plan.project_index[result.id]
    return {"sector": ctx.text(sector.name), "period": ctx.period_text(ctx.period),
            "project": ctx.text(project.name), "entity": ctx.entity(project.entity),
            "progress": ctx.percent(result.actual), OWNER: project.entity, COVERS: result.id}


def _delayed(rule: ProjectDelayed, ctx: _Context) -> Found:
    for result in ctx.result.projects:
        if result.status == st.DELAYED:
            variant = "delayed"
        elif (result.status not in (st.COMPLETED, st.NO_DATA) and result.achievement is not None
              and result.achievement < rule.below_achievement):
            variant = "behind"
        else:
            continue
        project = ctx.plan.project_index[result.id][1]
        yield result.sector, variant, {**_project_values(ctx, result), "planned": ctx.percent(result.planned),
                                       "achievement": ctx.percent(result.achievement),
                                       "start": ctx.period_text(project.start), "end": ctx.period_text(project.end)}


def _budget_gap(rule: BudgetGap, ctx: _Context) -> Found:
    for result in ctx.result.projects:
        if result.budget_execution is None or result.actual is None:
            continue
        gap = result.budget_execution - result.actual
        if gap == 0 or abs(gap) < rule.min_gap_pp:
            continue
        project = ctx.plan.project_index[result.id][1]
        yield result.sector, "spending_ahead" if gap > 0 else "progress_ahead", {
            **_project_values(ctx, result), "budget_execution": ctx.percent(result.budget_execution),
            "gap": ctx.number(abs(gap), 1), "spent": ctx.number(result.spent),
            "budget": ctx.number(project.budget)}


def _decline(rule: SectorDecline, ctx: _Context) -> Found:
    previous = ctx.period.previous()
    for result in ctx.result.sectors:
        # A trend is the change of the score: there is none without a score.
        if result.score is None or result.trend is None or -result.trend <= rule.min_drop_pp:
            continue
        yield result.id, "", {"sector": ctx.sector(result.id), "period": ctx.period_text(ctx.period),
                              OWNER: ctx.plan.sector_by_id[result.id].lead_entity or "",
                              "score": ctx.percent(result.score), "previous_score": ctx.percent(result.score - result.trend),
                              "previous_period": ctx.period_text(previous), "drop": ctx.number(-result.trend, 1),
                              "status": ctx.phrases(f"status.{result.status}")}


def _overdue(rule: OverdueRecommendation, ctx: _Context) -> Found:
    for item in ctx.register:
        if not item.overdue or item.status in CLOSED or item.due_period is None:
            continue
        late = ctx.period.index - item.due_period.index
        if late < rule.min_quarters_late:
            continue
        sector_id = item.sector_id if item.sector_id in ctx.plan.sector_by_id else None
        yield sector_id, "", {"sector": ctx.sector(sector_id), "period": ctx.period_text(ctx.period),
                              OWNER: item.owner_entity if item.owner_entity in ctx.plan.entity_by_id else "",
                              "id": item.id, "recommendation": item.text, "entity": ctx.entity(item.owner_entity),
                              "adopted": ctx.period_text(item.adopted), "due": ctx.period_text(item.due_period),
                              "status": ctx.phrases(f"recommendation_status.{item.status}"),
                              "note": item.note or "—", "quarters_late": ctx.number(late)}


_FINDERS: dict[str, Callable[..., Found]] = {
    "stalled_indicator": _stalled,
    "off_track_without_challenge": _without_challenge,
    "incomplete_data": _incomplete,
    "project_delayed": _delayed,
    "budget_gap": _budget_gap,
    "sector_decline": _decline,
    "overdue_recommendation": _overdue,
}


def _variant(wording: AnyWording, variant: str) -> Wording:
    """Return the wording of ``variant`` ("" for a kind worded the same whatever it finds)."""
    chosen = getattr(wording, variant) if variant else wording
    # Each finder names only the variants of its own kind's wording.
    assert isinstance(chosen, Wording)
    return chosen


def propose(plan: Plan, data: DataSet, history: list[PeriodResult], register: list[Recommendation],
            rules: Rules, lang: str = "ar", digits: str = LATIN, phrases: Phrases | None = None) -> list[Proposal]:
    """Return the proposed recommendations for the last period of ``history``.

    ``history`` is :func:`review.evaluate.evaluate_history` up to the period (oldest first);
    ``register`` the adopted recommendations as of the period (all sectors); ``digits`` the digits
    of the numbers in the wording (the pack's). Ordered by sector (plan order; plan-wide ones,
    ``sector_id`` None, last), then rule (file order), then item (plan or register order).
    ``phrases`` supplies status labels and ordinals (default: the project's catalogue in ``lang``).
    """
    phrases = (phrases or load_phrases(lang=lang)).with_lang(lang)
    ctx = _Context(plan, data, history, register, lang, digits, phrases)
    found: list[tuple[int, int, Proposal]] = []
    # Plan-wide proposals (sector None) sort after every sector.
    sector_order: dict[str | None, int] = {sector.id: n for n, sector in enumerate(plan.sectors)}
    for rule_index, rule in enumerate(rules.enabled()):
        for sector_id, variant, values in _FINDERS[rule.kind](rule, ctx):
            text = _variant(rule.text, variant)
            evidence = _variant(rule.evidence, variant)
            proposal = Proposal(rule.id, sector_id, text.get(lang).format(**values), evidence.get(lang).format(**values),
                                values.get(OWNER, ""), tuple(filter(None, values.get(COVERS, "").split(","))))
            found.append((sector_order.get(sector_id, len(sector_order)), rule_index, proposal))
    # A stable sort keeps each rule's items in plan (or register) order.
    found.sort(key=lambda entry: entry[:2])
    return [proposal for _, _, proposal in found]
