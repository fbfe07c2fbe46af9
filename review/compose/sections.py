"""Sections that both the sector packs and the executive pack carry: charts, proposed
recommendations, the follow-up of adopted ones, and the annexes (completeness, methodology, sources).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from review.charts import ChartSpec
from review.compose.context import PackContext
from review.compose.facts import Decision, memoized
from review.evaluate import NOT_RECEIVED, UNKNOWN_TIME
from review.language.formats import format_date
from review.model import status as st
from review.model.periods import Period, period_heading_label
from review.model.plan import Sector
from review.office.word.writer import Cell, CellValue, PackWriter, Row
from review.recommend.register import Recommendation


def write_charts(writer: PackWriter, ctx: PackContext, specs: list[ChartSpec], pngs: dict[str, bytes],
                 first_number: int = 1) -> int:
    """Write the charts with captions and alt text; return the next figure number."""
    number = first_number
    for spec in specs:
        writer.picture(pngs[spec.name], spec.alt_text,
                       caption=ctx.t("pack.figure", number=ctx.number(number), title=spec.caption or spec.title))
        number += 1
    return number


def chart_thresholds(ctx: PackContext) -> dict[str, str]:
    """Return the status thresholds a chart draws, with their labels, for its caption."""
    settings = ctx.plan.evaluation
    return {"on_track": ctx.number(settings.on_track, 0 if float(settings.on_track).is_integer() else 1),
            "at_risk": ctx.number(settings.at_risk, 0 if float(settings.at_risk).is_integer() else 1),
            "on_track_label": ctx.status_label(st.ON_TRACK), "at_risk_label": ctx.status_label(st.AT_RISK)}


def quarter_words(ctx: PackContext, period: Period | None = None) -> str:
    """Return a quarter spelled out for running text, «الربع الرابع 1444هـ» or "fourth quarter 2024"
    (the pack's quarter by default)."""
    words = ctx.digits_of(period_heading_label(period or ctx.period, ctx.plan.calendar, ctx.lang))
    return words if ctx.lang == "ar" else words[:1].lower() + words[1:]


def trend_caption(ctx: PackContext, key: str) -> str:
    """Return the caption of a chart across the quarters: from the first to this one (or this one alone)."""
    if len(ctx.history) < 2:
        return ctx.t(f"{key}_one", period=quarter_words(ctx))
    return ctx.t(key, first=quarter_words(ctx, ctx.history[0].period), last=quarter_words(ctx))


def write_proposals(writer: PackWriter, ctx: PackContext, decisions: Sequence[Decision], empty_key: str) -> None:
    """Write a sector's proposed decisions under their plan-wide numbers (those of the executive
    pack's decisions sheet and the deck), each with the evidence it rests on."""
    t = ctx.t
    if not decisions:
        writer.paragraph(t(empty_key))
        return
    rows = [[ctx.number(d.number), ctx.data_text("\n".join(d.texts)), ctx.data_text("\n".join(d.evidence))]
            for d in decisions]
    writer.table([t("pack.number"), t("pack.recommendation"), t("pack.evidence")], rows, (1.0, 9.0, 7.0), size_pt=9)


def recommendation_cell(ctx: PackContext, item: Recommendation) -> Cell:
    """Return the coloured status cell of an adopted recommendation (overdue shown as such)."""
    status = "overdue" if item.overdue else item.status
    key = st.RECOMMENDATION_COLOURS[status]
    return Cell(ctx.t(f"recommendation_status.{status}"), fill=st.colour(key),
                colour=st.text_colour(key), bold=True, align="center")


def write_follow_up(writer: PackWriter, ctx: PackContext, items: list[Recommendation], empty_key: str) -> None:
    """Write the follow-up table of earlier adopted recommendations."""
    t = ctx.t
    if not items:
        writer.paragraph(t(empty_key))
        return
    rows: list[list[CellValue]] = [
        [item.id, ctx.data_text(item.text), ctx.entity_name(item.owner_entity) if item.owner_entity else "—",
         ctx.short_label(item.adopted), ctx.short_label(item.due_period) if item.due_period else "—",
         recommendation_cell(ctx, item), ctx.data_text(item.note) or "—"] for item in items]
    writer.table([t("column.id"), t("pack.recommendation"), t("pack.owner"), t("pack.adopted"), t("pack.due"),
                  t("column.status"), t("pack.note")], rows, (1.9, 5.1, 2.4, 1.6, 1.6, 1.9, 2.5), size_pt=8.5)


def timeliness_shown(ctx: PackContext) -> bool:
    """Return True when the period has a deadline or a receipt log, so timeliness means something."""
    data = ctx.data.get(ctx.period)
    return bool(data.receipts) or ctx.plan.deadline(ctx.period) is not None or data.deadline is not None


def timeliness_cell(ctx: PackContext, entity) -> CellValue:
    """Return an entity's timeliness (SPEC §3.4) as a cell: on time, late by N days (coloured), …"""
    text = ctx.t(f"timeliness.{entity.timeliness}", days=ctx.number(entity.days_late or 0))
    key = {"on_time": st.ON_TRACK, "late": st.OFF_TRACK}.get(entity.timeliness)
    if key is None:
        return text
    return Cell(text, fill=st.colour(key), colour=st.TEXT_COLOURS[key], bold=True, align="center")


def write_completeness(writer: PackWriter, ctx: PackContext, entities, kept: bool = False) -> None:
    """Write the completeness table for the given entity results (with their timeliness when
    the period has a deadline or a receipt log); ``kept``: its rows from the build's cache
    (:func:`kept_rows`; the executive pack's, a sector pack is kept whole)."""
    t = ctx.t
    timed = timeliness_shown(ctx)
    rows: list[list[CellValue]] = []
    for e in entities:
        entity = ctx.plan.entity_by_id[e.id]
        cell: CellValue
        if e.completeness is None:
            cell = "—"
        else:
            key = st.ON_TRACK if e.completeness >= 100 else (st.AT_RISK if e.completeness >= 50 else st.OFF_TRACK)
            cell = Cell(ctx.percent(e.completeness), fill=st.colour(key), colour=st.TEXT_COLOURS[key], bold=True, align="center")
        row: list[CellValue] = [ctx.text(entity.name), entity.focal_point or "—", ctx.number(e.expected),
                                ctx.number(e.received), cell]
        if timed:
            row.append(timeliness_cell(ctx, e))
        rows.append(row)
    headers = [t("column.entity"), t("column.focal_point"), t("column.expected"), t("column.received"),
               t("column.completeness")]
    if timed:
        writer.table(headers + [t("timeliness.column")], kept_rows(writer, ctx, rows, 9) if kept else rows,
                     (4.8, 3.6, 1.7, 1.7, 2.2, 3.0), size_pt=9)
    else:
        writer.table(headers, kept_rows(writer, ctx, rows, 9) if kept else rows, (6.0, 4.4, 2.0, 2.0, 2.6), size_pt=9)


def kept_rows(writer: PackWriter, ctx: PackContext, rows: list[list[CellValue]], size_pt: float) -> Sequence[Sequence[CellValue] | Row]:
    """Return a table's ``rows`` made ready and measured at ``size_pt`` by ``writer``
    (:meth:`PackWriter.row`), from the build's cache when a table of the same cells was made before
    (keyed by the cells themselves: a national plan's entity tables are measured once, not at every
    rebuild); ``rows`` as they are without a cache."""
    if ctx.remember is None:
        return rows
    return ctx.remember(("rows", writer.lang, size_pt, rows), lambda: [writer.row(row, size_pt) for row in rows])


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
    sentences = [ctx.t(f"methodology.{k}", **values) for k in keys]
    sentences.insert(keys.index("trend") + 1, ctx.t("chair.direction_note"))
    # The catalogue writes its own figures (× 100, quarter/4, %) in Western digits: the plan's here.
    writer.bullets([ctx.plain_text(sentence) for sentence in sentences])
    write_status_legend(writer, ctx)


#: What each status applies to, in the legend: indicators (and roll-ups), projects, or both.
_LEGEND_SCOPE = {st.COMPLETED: "projects", st.DELAYED: "projects", st.STALLED: "indicators"}


def write_status_legend(writer: PackWriter, ctx: PackContext) -> None:
    """Write the legend of statuses: each label in its colour, what it means, what it applies to."""
    t = ctx.t
    writer.paragraph(t("legend.title"), bold=True, keep_with_next=True)
    writer.table([t("legend.status"), t("legend.meaning"), t("legend.applies")],
                 [[ctx.status_cell(key), t(f"legend.{key}"), t(f"legend.{_LEGEND_SCOPE.get(key, 'all')}")]
                  for key in st.ALL_STATUSES], size_pt=9, keep_together=True)


@dataclass(frozen=True)
class EntitySources:
    """One row of the sources annex: what an entity sent for the period and when."""

    entity_id: str
    #: The names of the files its rows came from (no folders), in the order they were read.
    files: tuple[str, ...]
    #: Its first accepted receipt (UTC), None when none was logged.
    received_at: dt.datetime | None
    #: Its timeliness (SPEC §3.4): says whether a missing time means placed by hand or not received.
    timeliness: str
    #: The data rows read from those files for it (indicator values, project reports, challenges).
    rows: int


def pack_sources(ctx: PackContext, sector: Sector | None) -> tuple[list[EntitySources], list[str]]:
    """Return the data sources of a pack, one row per entity, and the sources entities named.

    A sector pack lists the entities that report its indicators or projects, and of each the files
    that gave the sector's indicators, projects or challenges; the executive pack lists every
    entity of the plan and every file of the period. The rows counted are all the entity's rows
    read from the files listed (a file is listed whole). A file no entity's row came from (the
    secretariat's recommendations) is listed in the executive pack under an empty entity.
    """
    data = ctx.data.get(ctx.period)
    index = memoized(ctx, ("sources", str(ctx.period)), lambda: _SourcesIndex(ctx))
    order = index.order
    if sector is None:
        entities = ctx.result.entities
    else:
        involved = {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
        entities = [e for e in ctx.result.entities if e.id in involved]
    table = []
    for entity in entities:
        scopes = index.paths.get(entity.id, {})
        found = set().union(*scopes.values()) if sector is None else scopes.get(sector.id, set())
        files = sorted(found, key=lambda path: (order.get(path, len(order)), str(path)))
        count = sum(index.counts[entity.id, path] for path in files)
        table.append(EntitySources(entity.id, tuple(Path(path).name for path in files), entity.received_at,
                                   entity.timeliness, count))
    if sector is None:
        others = [path for path in data.files if path not in index.claimed]
        if others:
            table.append(EntitySources("", tuple(Path(path).name for path in others), None, UNKNOWN_TIME,
                                       sum(index.file_rows[path] for path in others)))
        named = sorted(set().union(*index.named.values()))
    else:
        named = sorted(index.named.get(sector.id, set()))
    return table, named


class _SourcesIndex:
    """Every row read for a period as (entity, file, sector) counts, indexed once per build for
    :func:`pack_sources` (each pack asks; scanning every row per pack grows with the plan squared)."""

    def __init__(self, ctx: PackContext) -> None:
        data, plan = ctx.data.get(ctx.period), ctx.plan
        owner = {i.id: i.entity for _, _, i in plan.indicators()}
        owner.update({p.id: p.entity for s in plan.sectors for p in s.projects})
        sector_of: dict[str, str | None] = {i.id: s.id for s, _, i in plan.indicators()}
        sector_of.update({p.id: s.id for s in plan.sectors for p in s.projects})
        # (entity, file, sector whose packs list the file for it; None: the executive pack only)
        rows = ([(owner.get(k, ""), r.origin.file, sector_of.get(k)) for k, r in data.indicators.items()]
                + [(owner.get(k, ""), r.origin.file, sector_of.get(k)) for k, r in data.projects.items()]
                + [(c.entity_id, c.origin.file, c.sector_id) for c in data.challenges]
                + [("", r.origin.file, None) for r in data.recommendations])
        self.order = {path: n for n, path in enumerate(data.files)}
        #: entity → sector (or None) → the files of its rows in that sector's scope
        self.paths: dict[str, dict[str | None, set]] = {}
        #: (entity, file) → rows; file → rows
        self.counts: Counter = Counter()
        self.file_rows: Counter = Counter()
        for who, path, sector_id in rows:
            self.paths.setdefault(who, {}).setdefault(sector_id, set()).add(path)
            self.counts[who, path] += 1
            self.file_rows[path] += 1
        self.claimed = {path for who, scopes in self.paths.items() if who in plan.entity_by_id
                        for found in scopes.values() for path in found}
        #: sector → the sources its indicators' rows named
        self.named: dict[str, set[str]] = {}
        for ident, r in data.indicators.items():
            if r.source and ident in plan.indicator_index:
                self.named.setdefault(plan.indicator_index[ident][0].id, set()).add(r.source)


def sector_key(ctx: PackContext, sector: Sector) -> tuple:
    """Return, as plain values, everything about ``sector`` that its pack shows, computed once per
    context: the part of a cache key that says a sector is unchanged (the sector pack's, and the
    dashboard's, the deck's and the executive pack's parts of one sector, which show nothing the
    pack does not).

    Keep it in step with the ``write_*`` functions of :mod:`review.compose.sector` (each item says
    who reads it); the archive's ``rebuild`` re-renders without any cache and compares bytes,
    which catches a missing item. The plan, the wording and the code are not in it (every key
    holds them besides).
    """
    return memoized(ctx, ("sector-key", sector.id), lambda: _sector_key(ctx, sector))


def sector_digest(ctx: PackContext, sector: Sector) -> str | tuple:
    """Return :func:`sector_key` hashed by ``ctx.digest`` (once per context: the build's process
    computes it for the pack cache before its workers start, and they inherit it), or the key
    itself when the context has no digest."""
    if ctx.digest is None:
        return sector_key(ctx, sector)
    digest = ctx.digest
    return memoized(ctx, ("sector-digest", sector.id), lambda: digest(sector_key(ctx, sector)))


def wording_key(ctx: PackContext) -> str:
    """Return a SHA-256 of the plan (every name and setting) and of the phrases catalogue, computed
    once per context: with :func:`sector_key`, what a cache key of a sector's part holds besides."""
    def compute() -> str:
        found = hashlib.sha256(ctx.plan.model_dump_json().encode("utf-8"))
        found.update(json.dumps(ctx.phrases.entries, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        return found.hexdigest()
    return memoized(ctx, ("wording-key",), compute)


def _sector_key(ctx: PackContext, sector: Sector) -> tuple:
    from review.compose.facts import by_sector, decisions
    result = ctx.result
    involved = {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
    items = {i.id for _, i in sector.indicators()} | {p.id for p in sector.projects}
    # Each list is the sector's share of the plan-wide one, in its order, grouped once for all
    # sectors (each sector scanning every row would grow with the plan squared).
    def own(name: str, rows: Sequence, sector_of=attrgetter("sector")) -> list:
        return by_sector(ctx, name, rows, sector_of).get(sector.id, [])
    return (
        ctx.lang, ctx.digits,                                      # number style
        str(ctx.period), sector.id,
        result.sector(sector.id),                                  # summary, key messages
        [(str(r.period), r.sector(sector.id).score) for r in ctx.history],  # trend across the quarters
        own("objectives", result.objectives),
        own("indicators", result.indicators),                      # indicator table, messages
        own("projects", result.projects),                          # projects table, messages
        [e for e in result.entities if e.id in involved],          # completeness annex, messages
        timeliness_shown(ctx),                                     # the annex's timeliness column
        [(c.sector_id, c.description, c.entity_id, c.indicator_id, c.project_id, c.category, c.cause,
          c.remedy, c.severity, c.support_needed, c.reply) for c in _challenges_of(ctx, sector.id, items)],
        own("decisions", decisions(ctx), attrgetter("sector_id")),  # proposals, with their plan-wide numbers
        [(r.id, r.text, r.owner_entity, str(r.adopted), str(r.due_period), r.status, r.note, r.overdue)
         for r in own("register", ctx.register, attrgetter("sector_id"))],  # follow-up table
        pack_sources(ctx, sector),                                 # sources annex
    )


def _challenges_of(ctx: PackContext, sector_id: str, items: set[str]) -> list:
    """Return the period's challenges of a sector or of one of its ``items`` (indicators and
    projects: their facts report them), in the order they were read; indexed once per context."""
    def index() -> dict[tuple[str, str], list[int]]:
        found: dict[tuple[str, str], list[int]] = {}
        for n, c in enumerate(ctx.data.get(ctx.period).challenges):
            for where in (("sector", c.sector_id), ("item", c.indicator_id), ("item", c.project_id)):
                if where[1] is not None:
                    found.setdefault(where, []).append(n)
        return found
    places = memoized(ctx, ("challenges-by-place",), index)
    challenges = ctx.data.get(ctx.period).challenges
    chosen = set(places.get(("sector", sector_id), ()))
    for item in items:
        chosen.update(places.get(("item", item), ()))
    return [challenges[n] for n in sorted(chosen)]


def received_text(ctx: PackContext, row: EntitySources) -> str:
    """Return when an entity's files came: the date of its first receipt (UTC), «وقت الاستلام غير
    معروف» when its data was placed by hand, «لم يصل» when nothing came."""
    if row.received_at is not None:
        return format_date(row.received_at.astimezone(dt.timezone.utc).date(), ctx.lang, ctx.digits)
    return ctx.t("sources.not_received" if row.timeliness == NOT_RECEIVED else "sources.time_unknown")


def write_sources(writer: PackWriter, ctx: PackContext, sector: Sector | None) -> None:
    """Write the data sources: a table of what each entity sent (its files, when, the rows read),
    and the sources entities named."""
    t = ctx.t
    table, named = pack_sources(ctx, sector)
    if table:
        rows: list[list[CellValue]] = [[ctx.entity_name(row.entity_id) if row.entity_id else t("sources.other"),
                                        "\n".join(row.files) or "—", received_text(ctx, row), ctx.number(row.rows)]
                                       for row in table]
        # The executive pack's rows from the build's cache (a sector pack is kept whole).
        writer.table([t("column.entity"), t("sources.files"), t("sources.received"), t("sources.rows")],
                     kept_rows(writer, ctx, rows, 9) if sector is None else rows, size_pt=9)
    else:
        writer.paragraph(t("pack.none_reported"))
    if named:
        writer.paragraph(t("pack.sources_named"), bold=True, keep_with_next=True)
        writer.bullets(named)
