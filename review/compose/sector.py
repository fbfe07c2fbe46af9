"""What goes into each briefing pack, in what order (SPEC §5.2), with wording from templates/.

A pack is composed in two steps so that charts can be rendered apart (in worker processes):
``sector_charts`` lists the charts as :class:`ChartSpec` (plain, picklable data), the build
renders them to PNG bytes, and ``write_sector_pack`` writes the document with those pictures.
This module never spells an OOXML tag (``word.writer`` does) and never imports matplotlib.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from review.model import status as st
from review.archive.cache import code_fingerprint
from review.archive.canonical import digest
from review.evaluate import TREND_FLAT, IndicatorResult, PeriodResult, ProjectResult, trend_arrow
from review.language.formats import LATIN, format_date, format_number, format_percent, format_points, localize_digits
from review.intake.data import DataSet
from review.model.periods import Period, period_label, period_short_label, quarter_dates
from review.language.phrases import Phrases
from review.model.plan import Indicator, Plan, Sector
from review.recommend.register import Recommendation
from review.charts import ChartSpec
from review.model.layout import DEFAULT_TEMPLATE
from review.office.word.writer import Cell, PackWriter

#: Indicators shown in the "furthest behind" chart.
BEHIND_COUNT = 6
#: Column widths (cm) of the indicator table, printed on landscape pages: they add up to the
#: landscape A4 text width of the template (29.7 − 2 × 2 cm).
INDICATOR_WIDTHS = (3.4, 4.5, 3.0, 1.4, 1.7, 1.9, 1.9, 1.8, 1.9, 2.4, 1.8)
INDICATOR_TABLE_PT = 9.0


@dataclass(frozen=True)
class Proposal:
    """A proposed recommendation (from the rules in templates/recommendations.yaml)."""

    rule: str
    sector_id: str | None
    text: str
    evidence: str


@dataclass
class PackContext:
    """Everything a pack is composed from, for one plan and period."""

    plan: Plan
    data: DataSet
    history: list[PeriodResult]
    phrases: Phrases
    issue_date: dt.date
    template: Path | None = None
    draft_mark: str | None = None
    proposals: list[Proposal] = field(default_factory=list)
    register: list[Recommendation] = field(default_factory=list)
    plan_dir: Path = Path()
    #: The organisation's logo for the cover (templates/logo.png), None for none.
    logo: bytes | None = None

    @property
    def result(self) -> PeriodResult:
        return self.history[-1]

    @property
    def period(self) -> Period:
        return self.result.period

    @property
    def lang(self) -> str:
        return self.phrases.lang

    @property
    def digits(self) -> str:
        # English packs use Western digits whatever the plan says.
        return self.plan.digits if self.lang == "ar" else LATIN

    @property
    def previous(self) -> PeriodResult | None:
        before = [r for r in self.history if r.period == self.period.previous()]
        return before[0] if before else None

    # -- wording helpers --------------------------------------------------------------------

    def t(self, key: str, **values) -> str:
        return self.phrases(key, **values)

    def text(self, value) -> str:
        return value.get(self.lang) if value is not None else ""

    def number(self, value: float | None, decimals: int = 0) -> str:
        return format_number(value, decimals, self.lang, self.digits)

    def percent(self, value: float | None, decimals: int = 1) -> str:
        return format_percent(value, decimals, self.lang, self.digits)

    def points(self, value: float | None) -> str:
        return format_points(value, 1, self.lang, self.digits)

    def digits_of(self, text: str) -> str:
        return localize_digits(text, self.digits)

    def status_label(self, key: str) -> str:
        return self.t(f"status.{key}")

    def status_cell(self, key: str) -> Cell:
        return Cell(self.status_label(key), fill=st.colour(key), colour=st.TEXT_COLOURS.get(key, "000000"),
                    bold=True, align="center")

    def join(self, items) -> str:
        """Return items as a list in running text, with the Arabic comma in Arabic packs."""
        return ("، " if self.lang == "ar" else ", ").join(items)

    def status_counts(self, statuses, order: tuple[str, ...]) -> str:
        """Return how many of ``statuses`` have each status, e.g. «على المسار: 5، متعثر: 1»."""
        counts = Counter(statuses)
        return self.join(self.t("pack.count_line", label=self.status_label(key), count=self.number(counts[key]))
                         for key in order if counts[key])

    def change_words(self, change: float | None) -> str:
        """Return a change in points as a clause: «بارتفاع 3.5 نقطة مئوية عن الربع السابق», …"""
        if change is None:
            return self.t("pack.msg_no_trend")
        if abs(change) <= TREND_FLAT:
            return self.t("pack.msg_flat")
        return self.t("pack.msg_up" if change > 0 else "pack.msg_down", points=self.number(abs(change), 1))

    def trend_text(self, change: float | None) -> str:
        if change is None:
            return "—"
        return f"{trend_arrow(change)} {self.points(change)}"

    def period_label(self) -> str:
        return self.digits_of(period_label(self.period, self.plan.calendar, self.lang))

    def short_label(self, period: Period) -> str:
        return self.digits_of(period_short_label(period, self.plan.calendar, self.lang))

    def entity_name(self, entity_id: str) -> str:
        entity = self.plan.entity_by_id.get(entity_id)
        return self.text(entity.name) if entity else entity_id

    def chart_formats(self) -> dict:
        """Return picklable value formatters for the charts, in the pack's digits."""
        return {"percent": partial(format_percent, decimals=0, lang=self.lang, digits=self.digits),
                "count": partial(format_number, decimals=0, lang=self.lang, digits=self.digits),
                "number": partial(format_number, decimals=1, lang=self.lang, digits=self.digits)}


def indicator_decimals(indicator: Indicator, *values: float | None) -> int:
    """Return the decimals to show an indicator's values with: its own setting, else 0 or 1."""
    if indicator.decimals is not None:
        return indicator.decimals
    present = [v for v in values if v is not None]
    return 0 if all(float(v).is_integer() for v in present) else 1


# -- charts ---------------------------------------------------------------------------------------

def _status_items(ctx: PackContext, statuses: list[str], order: tuple[str, ...]) -> list[tuple[str, int, str]]:
    counts = Counter(statuses)
    return [(ctx.status_label(key), counts[key], key) for key in order if counts[key]]


def _describe(ctx: PackContext, pairs: list[tuple[str, str]]) -> str:
    return ("؛ " if ctx.lang == "ar" else "; ").join(f"{a}: {b}" for a, b in pairs)


def sector_charts(ctx: PackContext, sector: Sector) -> list[ChartSpec]:
    """Return the charts of a sector pack: status mix, objectives, score trend, behind, projects."""
    result, rtl = ctx.result, ctx.lang == "ar"
    formats = ctx.chart_formats()
    common = {"rtl": rtl, "empty_message": ctx.t("pack.chart_no_data")}
    indicators = [i for i in result.indicators if i.sector == sector.id]
    specs = []

    title = ctx.t("pack.chart_status")
    items = _status_items(ctx, [i.status for i in indicators], st.STATUSES)
    specs.append(ChartSpec(f"{sector.id}-status.png", "status_distribution", (items, title),
                           {**common, "count_format": formats["count"]}, title,
                           ctx.t("pack.chart_alt", title=title, details=_describe(ctx, [(a, ctx.number(b)) for a, b, _ in items]))))

    title = ctx.t("pack.chart_objectives")
    names = {o.id: ctx.text(o.name) for o in sector.objectives}
    objectives = [o for o in result.objectives if o.sector == sector.id]
    items = [(names[o.id], o.score, o.status) for o in objectives]
    specs.append(ChartSpec(f"{sector.id}-objectives.png", "score_bars", (items, title),
                           {**common, "value_format": formats["percent"], "no_data_label": ctx.status_label(st.NO_DATA),
                            "thresholds": (ctx.plan.evaluation.on_track, ctx.plan.evaluation.at_risk)}, title,
                           ctx.t("pack.chart_alt", title=title, details=_describe(ctx, [(n, ctx.percent(s)) for n, s, _ in items]))))

    title = ctx.t("pack.chart_trend")
    periods = [ctx.short_label(r.period) for r in ctx.history]
    values = [r.sector(sector.id).score for r in ctx.history]
    specs.append(ChartSpec(f"{sector.id}-trend.png", "score_trend",
                           (periods, [(ctx.text(sector.name), values)], title),
                           {**common, "value_format": formats["percent"],
                            "thresholds": (ctx.plan.evaluation.on_track, ctx.plan.evaluation.at_risk)}, title,
                           ctx.t("pack.chart_alt", title=title, details=_describe(ctx, list(zip(periods, map(ctx.percent, values)))))))

    title = ctx.t("pack.chart_behind")
    behind = sorted((i for i in indicators if i.achievement is not None), key=lambda i: i.achievement)[:BEHIND_COUNT]
    index = ctx.plan.indicator_index
    items = [(ctx.text(index[i.id][2].name), i.target, i.actual, i.status, ctx.text(index[i.id][2].unit))
             for i in behind]
    specs.append(ChartSpec(f"{sector.id}-behind.png", "target_vs_actual", (items, title),
                           {**common, "labels": (ctx.t("pack.target_label"), ctx.t("pack.actual_label")),
                            "value_format": formats["number"], "percent_format": formats["percent"],
                            "no_data_label": ctx.status_label(st.NO_DATA)}, title,
                           ctx.t("pack.chart_alt", title=title, details=_describe(
                               ctx, [(name, f"{ctx.number(tg, 1)} / {ctx.number(ac, 1)}") for name, tg, ac, _, _ in items]))))

    if sector.projects:
        title = ctx.t("pack.chart_projects")
        projects = {p.id: p for p in sector.projects}
        rows = [p for p in result.projects if p.sector == sector.id]
        items = [(ctx.text(projects[p.id].name), p.planned, p.actual, p.status) for p in rows]
        specs.append(ChartSpec(f"{sector.id}-projects.png", "project_progress", (items, title),
                               {**common, "labels": (ctx.t("pack.planned_label"), ctx.t("pack.progress_label")),
                                "value_format": formats["percent"], "no_data_label": ctx.status_label(st.NO_DATA)}, title,
                               ctx.t("pack.chart_alt", title=title, details=_describe(
                                   ctx, [(n, f"{ctx.percent(a)} / {ctx.percent(b)}") for n, a, b, _ in items]))))
    return specs


# -- document parts -------------------------------------------------------------------------------

def start_document(ctx: PackContext, subtitle: str) -> PackWriter:
    """Return a writer with the cover, header, footer and contents of a pack written."""
    plan = ctx.plan
    writer = PackWriter(ctx.template, ctx.lang)
    title = ctx.text(plan.title)
    writer.set_properties(f"{title} — {subtitle}", ctx.period_label(), ctx.text(plan.organization),
                          dt.datetime.combine(ctx.issue_date, dt.time()))
    writer.set_header(ctx.t("pack.header", plan=title, period=ctx.short_label(ctx.period)), ctx.draft_mark)
    writer.set_footer(ctx.text(plan.classification) or None, ctx.t("pack.page"))
    if ctx.logo:
        writer.logo(ctx.logo, alt_text=ctx.text(plan.organization))
    writer.subtitle(ctx.text(plan.organization))
    writer.title(title)
    writer.subtitle(subtitle)
    writer.paragraph(ctx.t("pack.workshop"), align="center", bold=True, size_pt=14)
    writer.paragraph(ctx.period_label(), align="center", size_pt=13)
    start, end = quarter_dates(ctx.period, plan.calendar)
    writer.paragraph(ctx.t("pack.dates", start=format_date(start, ctx.lang, ctx.digits),
                           end=format_date(end, ctx.lang, ctx.digits)), align="center")
    writer.paragraph(ctx.t("pack.issued", date=format_date(ctx.issue_date, ctx.lang, ctx.digits)), align="center")
    if plan.classification:
        writer.paragraph(ctx.text(plan.classification), align="center", bold=True, colour="C00000")
    if plan.notice:
        writer.paragraph(ctx.text(plan.notice), align="center", size_pt=9, colour="595959")
    writer.page_break()
    writer.toc(ctx.t("pack.contents"))
    writer.page_break()
    return writer


def _change_text(ctx: PackContext, change: float | None) -> str:
    if change is None:
        return ctx.t("pack.no_change_data")
    return f"{trend_arrow(change)} " + ctx.t("pack.points", value=ctx.points(change))


def key_messages(ctx: PackContext, sector: Sector) -> list[str]:
    """Return the three key messages of a sector: overall score, lagging indicators, projects or data."""
    result = ctx.result
    roll = result.sector(sector.id)
    name = ctx.text(sector.name)
    if roll.score is None:
        first = ctx.t("pack.msg_overall_none", sector=name)
    else:
        first = ctx.t("pack.msg_overall", sector=name, score=ctx.percent(roll.score),
                      status=ctx.status_label(roll.status), change=ctx.change_words(roll.trend))
    indicators = [i for i in result.indicators if i.sector == sector.id]
    lagging = sorted((i for i in indicators if i.status in (st.OFF_TRACK, st.STALLED)),
                     key=lambda i: i.achievement if i.achievement is not None else 0)
    if lagging:
        worst = lagging[0]
        second = ctx.t("pack.msg_lagging", count=ctx.number(len(lagging)), total=ctx.number(len(indicators)),
                       name=ctx.text(ctx.plan.indicator_index[worst.id][2].name),
                       achievement=ctx.percent(worst.achievement))
    else:
        on_track = sum(1 for i in indicators if i.status == st.ON_TRACK)
        second = ctx.t("pack.msg_no_lagging", on_track=ctx.number(on_track), total=ctx.number(len(indicators)))
    projects = [p for p in result.projects if p.sector == sector.id]
    behind = sorted((p for p in projects if p.status in (st.DELAYED, st.OFF_TRACK)),
                    key=lambda p: (p.status != st.DELAYED, p.achievement or 0))
    if behind:
        worst = behind[0]
        third = ctx.t("pack.msg_projects_delayed", count=ctx.number(len(behind)), total=ctx.number(len(projects)),
                      name=ctx.text(ctx.plan.project_index[worst.id][1].name),
                      actual=ctx.percent(worst.actual), planned=ctx.percent(worst.planned))
    else:
        incomplete = [ctx.entity_name(e.id) for e in _sector_entities(ctx, sector)
                      if e.completeness is not None and e.completeness < 100]
        if incomplete:
            third = ctx.t("pack.msg_incomplete", entities=ctx.join(incomplete))
        elif projects:
            third = ctx.t("pack.msg_projects_ok", total=ctx.number(len(projects)))
        else:
            third = ctx.t("pack.msg_completeness")
    return [first, second, third]


def _sector_entities(ctx: PackContext, sector: Sector):
    involved = {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
    return [e for e in ctx.result.entities if e.id in involved]


def write_summary(writer: PackWriter, ctx: PackContext, sector: Sector) -> None:
    """Write the executive summary: score, status, coverage, change, counts, key messages."""
    result = ctx.result
    roll = result.sector(sector.id)
    writer.heading(ctx.t("pack.summary"), 1)
    indicators = [i for i in result.indicators if i.sector == sector.id]
    projects = [p for p in result.projects if p.sector == sector.id]
    rows = [
        (ctx.t("pack.sector_score"), ctx.percent(roll.score)),
        (ctx.t("pack.status"), ctx.status_cell(roll.status)),
        (ctx.t("pack.coverage"), ctx.percent(roll.coverage)),
        (ctx.t("pack.change"), _change_text(ctx, roll.trend)),
        (ctx.t("pack.indicator_counts"), ctx.status_counts((i.status for i in indicators), st.STATUSES)),
    ]
    if projects:
        rows.append((ctx.t("pack.project_counts"), ctx.status_counts((p.status for p in projects), st.PROJECT_STATUSES)))
    writer.key_value_table(rows)
    writer.heading(ctx.t("pack.key_messages"), 2)
    writer.bullets(key_messages(ctx, sector))


def write_charts(writer: PackWriter, ctx: PackContext, specs: list[ChartSpec], pngs: dict[str, bytes],
                 first_number: int = 1) -> int:
    """Write the charts with captions and alt text; return the next figure number."""
    number = first_number
    for spec in specs:
        writer.picture(pngs[spec.name], spec.alt_text,
                       caption=ctx.t("pack.figure", number=ctx.number(number), title=spec.title))
        number += 1
    return number


def indicator_rows(ctx: PackContext, sector: Sector) -> list[list]:
    """Return the indicator table's rows: objective (first row of its group), indicator, entity,
    unit, baseline, target, actual, variance, achievement, status cell, trend."""
    rows = []
    results = {i.id: i for i in ctx.result.indicators if i.sector == sector.id}
    for objective in sector.objectives:
        for position, indicator in enumerate(objective.indicators):
            r: IndicatorResult = results[indicator.id]
            decimals = indicator_decimals(indicator, r.target, r.actual, indicator.baseline)
            variance = None if r.target is None or r.actual is None else r.actual - r.target
            rows.append([
                Cell(ctx.text(objective.name), bold=True) if position == 0 else "",
                ctx.text(indicator.name),
                ctx.entity_name(indicator.entity),
                ctx.text(indicator.unit),
                ctx.number(indicator.baseline, decimals),
                ctx.number(r.target, decimals),
                ctx.number(r.actual, decimals),
                format_points(variance, decimals, ctx.lang, ctx.digits),
                ctx.percent(r.achievement),
                ctx.status_cell(r.status),
                ctx.trend_text(r.trend),
            ])
    return rows


def write_indicators(writer: PackWriter, ctx: PackContext, sector: Sector) -> None:
    """Write the indicator table."""
    t = ctx.t
    writer.orientation(landscape=True)
    writer.heading(t("pack.indicators"), 1)
    headers = [t("column.objective"), t("column.indicator"), t("column.entity"), t("column.unit"),
               t("column.baseline"), t("column.target"), t("column.actual"), t("column.variance"),
               t("column.achievement"), t("column.status"), t("column.trend")]
    writer.table(headers, indicator_rows(ctx, sector), INDICATOR_WIDTHS, size_pt=INDICATOR_TABLE_PT)
    writer.orientation(landscape=False)


def write_projects(writer: PackWriter, ctx: PackContext, sector: Sector) -> None:
    """Write the projects table (or a line saying the sector has none)."""
    t = ctx.t
    writer.heading(t("pack.projects"), 1)
    if not sector.projects:
        writer.paragraph(t("pack.no_projects"))
        return
    results = {p.id: p for p in ctx.result.projects}
    rows = []
    for project in sector.projects:
        r: ProjectResult = results[project.id]
        rows.append([ctx.text(project.name), ctx.entity_name(project.entity),
                     f"{ctx.short_label(project.start)} – {ctx.short_label(project.end)}",
                     ctx.percent(r.planned), ctx.percent(r.actual), ctx.percent(r.achievement),
                     ctx.status_cell(r.status), ctx.percent(r.budget_execution)])
    writer.table([t("column.project"), t("column.entity"), t("pack.schedule"), t("column.planned"),
                  t("column.progress"), t("column.achievement"), t("column.status"),
                  t("column.budget_execution")], rows, (3.6, 2.6, 2.4, 1.6, 1.6, 1.6, 1.8, 1.8), size_pt=9)


def write_challenges(writer: PackWriter, ctx: PackContext, sector: Sector) -> None:
    """Write the sector's challenges grouped by entity: challenge, cause, remedy, support needed."""
    t = ctx.t
    writer.heading(t("pack.challenges"), 1)
    challenges = [c for c in ctx.data.get(ctx.period).challenges if c.sector_id == sector.id]
    if not challenges:
        writer.paragraph(t("pack.no_challenges"))
        return
    groups: dict[str, list] = defaultdict(list)
    for challenge in challenges:
        groups[challenge.entity_id].append(challenge)
    order = [e.id for e in ctx.plan.entities if e.id in groups] + ([""] if "" in groups else [])
    for entity_id in order:
        writer.heading(ctx.entity_name(entity_id) if entity_id else t("pack.unassigned_entity"), 2)
        rows = []
        for c in groups[entity_id]:
            description = c.description
            related = c.indicator_id or c.project_id
            if related:
                item = (ctx.plan.indicator_index[related][2] if c.indicator_id else ctx.plan.project_index[related][1])
                description += "\n" + t("pack.related", item=ctx.text(item.name))
            category = ctx.text(ctx.plan.challenge_categories[c.category]) if c.category else "—"
            severity = t(f"severity.{c.severity}") if c.severity else "—"
            fill = {"high": st.colour(st.OFF_TRACK), "medium": st.colour(st.AT_RISK)}.get(c.severity)
            colour = {"high": "FFFFFF", "medium": "000000"}.get(c.severity)
            rows.append([description, c.cause or "—", c.remedy or "—", c.support_needed or "—",
                         category, Cell(severity, fill=fill, colour=colour, bold=bool(fill), align="center")])
        writer.table([t("pack.challenge"), t("pack.cause"), t("pack.remedy"), t("pack.support"),
                      t("pack.category"), t("pack.severity")], rows, (4.2, 3.3, 3.3, 2.8, 1.8, 1.6), size_pt=9)


def write_proposals(writer: PackWriter, ctx: PackContext, proposals: list[Proposal], empty_key: str) -> None:
    """Write proposed recommendations with the evidence each rests on."""
    t = ctx.t
    if not proposals:
        writer.paragraph(t(empty_key))
        return
    rows = [[ctx.number(n), p.text, p.evidence] for n, p in enumerate(proposals, start=1)]
    writer.table([t("pack.number"), t("pack.recommendation"), t("pack.evidence")], rows, (1.0, 9.0, 7.0), size_pt=9)


def recommendation_cell(ctx: PackContext, item: Recommendation) -> Cell:
    """Return the coloured status cell of an adopted recommendation (overdue shown as such)."""
    if item.overdue:
        return Cell(ctx.t("recommendation_status.overdue"), fill=st.colour(st.OFF_TRACK), colour="FFFFFF", bold=True, align="center")
    colours = {"done": st.ON_TRACK, "in_progress": st.AT_RISK, "not_started": st.NO_DATA, "dropped": st.NO_DATA}
    key = colours[item.status]
    return Cell(ctx.t(f"recommendation_status.{item.status}"), fill=st.colour(key),
                colour=st.TEXT_COLOURS[key], bold=True, align="center")


def write_follow_up(writer: PackWriter, ctx: PackContext, items: list[Recommendation], empty_key: str) -> None:
    """Write the follow-up table of earlier adopted recommendations."""
    t = ctx.t
    if not items:
        writer.paragraph(t(empty_key))
        return
    rows = [[item.id, item.text, ctx.entity_name(item.owner_entity) if item.owner_entity else "—",
             ctx.short_label(item.adopted), ctx.short_label(item.due_period) if item.due_period else "—",
             recommendation_cell(ctx, item), item.note or "—"] for item in items]
    writer.table([t("column.id"), t("pack.recommendation"), t("pack.owner"), t("pack.adopted"), t("pack.due"),
                  t("column.status"), t("pack.note")], rows, (1.9, 5.1, 2.4, 1.6, 1.6, 1.9, 2.5), size_pt=8.5)


def write_completeness(writer: PackWriter, ctx: PackContext, entities) -> None:
    """Write the completeness table for the given entity results."""
    t = ctx.t
    rows = []
    for e in entities:
        entity = ctx.plan.entity_by_id[e.id]
        if e.completeness is None:
            cell = "—"
        else:
            key = st.ON_TRACK if e.completeness >= 100 else (st.AT_RISK if e.completeness >= 50 else st.OFF_TRACK)
            cell = Cell(ctx.percent(e.completeness), fill=st.colour(key), colour=st.TEXT_COLOURS[key], bold=True, align="center")
        rows.append([ctx.text(entity.name), entity.focal_point or "—", ctx.number(e.expected), ctx.number(e.received), cell])
    writer.table([t("column.entity"), t("column.focal_point"), t("column.expected"), t("column.received"),
                  t("column.completeness")], rows, (6.0, 4.4, 2.0, 2.0, 2.6), size_pt=9)


def write_methodology(writer: PackWriter, ctx: PackContext) -> None:
    """Write the evaluation method with the thresholds and method this plan actually uses."""
    settings = ctx.plan.evaluation
    values = {"on_track": ctx.number(settings.on_track, 0 if float(settings.on_track).is_integer() else 1),
              "at_risk": ctx.number(settings.at_risk, 0 if float(settings.at_risk).is_integer() else 1),
              "cap": ctx.number(settings.cap, 0 if float(settings.cap).is_integer() else 1)}
    keys = ["target", "actual", "ratio"]
    uses_progress = settings.method == "progress" or any(i.method == "progress" for _, _, i in ctx.plan.indicators())
    if uses_progress:
        keys.append("progress")
    keys += ["thresholds", "rollup", "trend", "projects", "completeness"]
    writer.bullets([ctx.t(f"methodology.{k}", **values) for k in keys])


def pack_sources(ctx: PackContext, sector: Sector | None) -> tuple[list[str], list[str]]:
    """Return the data sources of a pack: the files its figures came from (relative to the plan
    folder) and the sources entities named. A sector pack lists only the files that gave its
    indicators, projects or challenges; the executive pack lists every file of the period."""
    data = ctx.data.get(ctx.period)
    if sector is None:
        used = set(data.files)
    else:
        indicator_ids = {i.id for _, i in sector.indicators()}
        project_ids = {p.id for p in sector.projects}
        used = ({r.origin.file for k, r in data.indicators.items() if k in indicator_ids}
                | {r.origin.file for k, r in data.projects.items() if k in project_ids}
                | {c.origin.file for c in data.challenges if c.sector_id == sector.id})
    files = []
    for path in (p for p in data.files if p in used):
        try:
            files.append(Path(path).relative_to(ctx.plan_dir).as_posix())
        except ValueError:
            files.append(Path(path).name)
    wanted = {i.id for _, i in sector.indicators()} if sector else set(ctx.plan.indicator_index)
    named = sorted({r.source for ident, r in data.indicators.items() if ident in wanted and r.source})
    return files, named


def write_sources(writer: PackWriter, ctx: PackContext, sector: Sector | None) -> None:
    """Write the data sources: the files this pack's figures came from, and the sources entities named."""
    files, named = pack_sources(ctx, sector)
    writer.paragraph(ctx.t("pack.sources_files"), bold=True)
    writer.bullets(files or [ctx.t("pack.none_reported")])
    if named:
        writer.paragraph(ctx.t("pack.sources_named"), bold=True)
        writer.bullets(named)


def pack_key(ctx: PackContext, sector: Sector, chart_keys: list[str]) -> str:
    """Return the SHA-256 of everything :func:`write_sector_pack` reads for ``sector``.

    The key of the pack cache: a pack is reused only when all of it is unchanged. Keep this list in
    step with the ``write_*`` functions above (each item says who reads it); the archive's
    ``rebuild`` re-renders without any cache and compares bytes, which catches a missing item.
    """
    result = ctx.result
    period_data = ctx.data.get(ctx.period)
    entity_ids = {e.id for e in _sector_entities(ctx, sector)}
    template = Path(ctx.template) if ctx.template else DEFAULT_TEMPLATE
    facts = (
        _shared_digest(ctx.plan, ctx.phrases, template),       # code, every name and setting, wording, styles
        ctx.lang, ctx.digits,                                  # number style
        ctx.issue_date.isoformat(), ctx.draft_mark, ctx.logo,  # cover, header
        str(ctx.period), sector.id,
        result.sector(sector.id),                              # summary, key messages
        [o for o in result.objectives if o.sector == sector.id],
        [i for i in result.indicators if i.sector == sector.id],   # indicator table, messages
        [p for p in result.projects if p.sector == sector.id],     # projects table, messages
        [e for e in result.entities if e.id in entity_ids],        # completeness annex, messages
        [(c.sector_id, c.description, c.entity_id, c.indicator_id, c.project_id, c.category, c.cause,
          c.remedy, c.severity, c.support_needed) for c in period_data.challenges if c.sector_id == sector.id],
        [p for p in ctx.proposals if p.sector_id == sector.id],
        [(r.id, r.text, r.owner_entity, str(r.adopted), str(r.due_period), r.status, r.note, r.overdue)
         for r in ctx.register if r.sector_id == sector.id],    # follow-up table
        pack_sources(ctx, sector),                             # sources annex
        chart_keys,                                            # the pictures
    )
    return digest(*facts)


_SHARED: list = []  # [(plan, phrases, template, digest)] of the current build


def _shared_digest(plan: Plan, phrases: Phrases, template: Path) -> str:
    """Return the digest of what every pack of a build shares (computed once per process and build).

    Remembered by object identity; holding the objects keeps their identities from being reused.
    """
    if not (_SHARED and _SHARED[0][0] is plan and _SHARED[0][1] is phrases and _SHARED[0][2] == template):
        plan_json = hashlib.sha256(plan.model_dump_json().encode("utf-8")).hexdigest()
        value = digest(code_fingerprint(), plan_json, phrases.entries, hashlib.sha256(template.read_bytes()).hexdigest())
        _SHARED[:] = [(plan, phrases, template, value)]
    return _SHARED[0][3]


def write_sector_pack(ctx: PackContext, sector: Sector, specs: list[ChartSpec], pngs: dict[str, bytes]) -> bytes:
    """Return the sector's briefing pack (.docx bytes), composed in the order of SPEC §5.2."""
    t = ctx.t
    writer = start_document(ctx, t("pack.sector_pack", sector=ctx.text(sector.name)))
    write_summary(writer, ctx, sector)
    writer.heading(t("pack.charts"), 1)
    write_charts(writer, ctx, specs, pngs)
    write_indicators(writer, ctx, sector)
    write_projects(writer, ctx, sector)
    write_challenges(writer, ctx, sector)
    writer.heading(t("pack.proposed"), 1)
    write_proposals(writer, ctx, [p for p in ctx.proposals if p.sector_id == sector.id], "pack.no_proposals")
    writer.heading(t("pack.follow_up"), 1)
    write_follow_up(writer, ctx, [r for r in ctx.register if r.sector_id == sector.id], "pack.no_follow_up")
    writer.heading(t("pack.annex"), 1)
    writer.heading(t("pack.completeness"), 2)
    write_completeness(writer, ctx, _sector_entities(ctx, sector))
    writer.heading(t("pack.methodology"), 2)
    write_methodology(writer, ctx)
    writer.heading(t("pack.sources"), 2)
    write_sources(writer, ctx, sector)
    return writer.to_bytes()
