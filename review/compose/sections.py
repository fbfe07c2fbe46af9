"""Sections that both the sector packs and the executive pack carry: charts, proposed
recommendations, the follow-up of adopted ones, and the annexes (completeness, methodology, sources).
"""

from __future__ import annotations

from pathlib import Path

from review.charts import ChartSpec
from review.compose.context import PackContext
from review.model import status as st
from review.model.plan import Sector
from review.office.word.writer import Cell, CellValue, PackWriter
from review.recommend.proposals import Proposal
from review.recommend.register import Recommendation


def write_charts(writer: PackWriter, ctx: PackContext, specs: list[ChartSpec], pngs: dict[str, bytes],
                 first_number: int = 1) -> int:
    """Write the charts with captions and alt text; return the next figure number."""
    number = first_number
    for spec in specs:
        writer.picture(pngs[spec.name], spec.alt_text,
                       caption=ctx.t("pack.figure", number=ctx.number(number), title=spec.title))
        number += 1
    return number


def write_proposals(writer: PackWriter, ctx: PackContext, proposals: list[Proposal], empty_key: str) -> None:
    """Write proposed recommendations with the evidence each rests on."""
    t = ctx.t
    if not proposals:
        writer.paragraph(t(empty_key))
        return
    rows = [[ctx.number(n), ctx.data_text(p.text), ctx.data_text(p.evidence)] for n, p in enumerate(proposals, start=1)]
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


def write_completeness(writer: PackWriter, ctx: PackContext, entities) -> None:
    """Write the completeness table for the given entity results (with their timeliness when
    the period has a deadline or a receipt log)."""
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
        writer.table(headers + [t("timeliness.column")], rows, (4.8, 3.6, 1.7, 1.7, 2.2, 3.0), size_pt=9)
    else:
        writer.table(headers, rows, (6.0, 4.4, 2.0, 2.0, 2.6), size_pt=9)


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
