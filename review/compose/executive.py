"""The executive pack (``executive.docx``): the cross-sector briefing for the workshop chair.

Same template, direction and quality bars as the sector packs, composed from the same context:
plan score and change, sector comparison (chart and table), a sector × status heat map, sector
score trends, then what needs the chair's attention across the plan — stalled indicators,
delayed projects, entities with incomplete data, proposed and overdue recommendations.
"""

from __future__ import annotations

from collections import Counter

from review.model import status as st
from review.charts import ChartSpec
from review.compose.context import PackContext, change_text, describe, start_document
from review.compose.sections import (recommendation_cell, timeliness_shown, write_charts, write_completeness,
                                     write_methodology, write_proposals, write_sources)
from review.office.word.writer import CellValue, PackWriter

EXECUTIVE = "executive"


def executive_charts(ctx: PackContext) -> list[ChartSpec]:
    """Return the executive pack's charts: sector scores, heat map, sector trends, indicator statuses."""
    result, plan, rtl = ctx.result, ctx.plan, ctx.lang == "ar"
    formats = ctx.chart_formats()
    common = {"rtl": rtl, "empty_message": ctx.t("pack.chart_no_data")}
    thresholds = (plan.evaluation.on_track, plan.evaluation.at_risk)
    names = {s.id: ctx.text(s.name) for s in plan.sectors}
    specs = []

    title = ctx.t("pack.chart_sectors")
    items = [(names[s.id], s.score, s.status) for s in result.sectors]
    specs.append(ChartSpec(f"{EXECUTIVE}-sectors.png", "score_bars", (items, title),
                           {**common, "value_format": formats["percent"], "thresholds": thresholds,
                            "no_data_label": ctx.status_label(st.NO_DATA)}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [(n, ctx.percent(v)) for n, v, _ in items]))))

    title = ctx.t("pack.chart_heatmap")
    columns = [(ctx.status_label(key), key) for key in st.STATUSES]
    counts = [[sum(1 for i in result.indicators if i.sector == s.id and i.status == key) for key in st.STATUSES]
              for s in plan.sectors]
    rows = [names[s.id] for s in plan.sectors]
    specs.append(ChartSpec(f"{EXECUTIVE}-heatmap.png", "status_heatmap", (rows, columns, counts, title),
                           {**common, "count_format": formats["count"]}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [
                               (row, ctx.join(f"{label} {ctx.number(n)}" for (label, _), n in zip(columns, line) if n))
                               for row, line in zip(rows, counts)]))))

    title = ctx.t("pack.chart_sector_trends")
    periods = [ctx.short_label(r.period) for r in ctx.history]
    series = [(names[s.id], [r.sector(s.id).score for r in ctx.history]) for s in plan.sectors]
    specs.append(ChartSpec(f"{EXECUTIVE}-trends.png", "score_trend", (periods, series, title),
                           {**common, "value_format": formats["percent"], "thresholds": thresholds}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [
                               (name, " → ".join(ctx.percent(v) for v in values)) for name, values in series]))))

    title = ctx.t("pack.chart_status")
    counts_all = Counter(i.status for i in result.indicators)
    items = [(ctx.status_label(k), counts_all[k], k) for k in st.STATUSES if counts_all[k]]
    specs.append(ChartSpec(f"{EXECUTIVE}-status.png", "status_distribution", (items, title),
                           {**common, "count_format": formats["count"]}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [(a, ctx.number(b)) for a, b, _ in items]))))
    return specs


def plan_messages(ctx: PackContext) -> list[str]:
    """Return the executive key messages: plan score and change, weakest sector, stalled and delayed items."""
    result, plan = ctx.result, ctx.plan
    roll = result.plan
    messages = []
    title = ctx.text(plan.title)
    if roll.score is None:
        messages.append(ctx.t("executive.msg_none", plan=title))
    else:
        messages.append(ctx.t("executive.msg_overall", score=ctx.percent(roll.score),
                              status=ctx.status_label(roll.status), change=ctx.change_words(roll.trend)))
    scores = {s.id: s.score for s in result.sectors if s.score is not None}
    if scores:
        weakest = min(scores, key=scores.__getitem__)
        strongest = max(scores, key=scores.__getitem__)
        messages.append(ctx.t("executive.msg_sectors", strongest=ctx.text(plan.sector_by_id[strongest].name),
                              strongest_score=ctx.percent(scores[strongest]),
                              weakest=ctx.text(plan.sector_by_id[weakest].name),
                              weakest_score=ctx.percent(scores[weakest])))
    stalled = sum(1 for i in result.indicators if i.status == st.STALLED)
    delayed = sum(1 for p in result.projects if p.status == st.DELAYED)
    overdue = sum(1 for r in ctx.register if r.overdue)
    messages.append(ctx.t("executive.msg_attention", stalled=ctx.number(stalled), delayed=ctx.number(delayed),
                          overdue=ctx.number(overdue)))
    return messages


def write_executive_pack(ctx: PackContext, specs: list[ChartSpec], pngs: dict[str, bytes]) -> bytes:
    """Return ``executive.docx``: the cross-sector pack for the workshop chair."""
    t, plan, result = ctx.t, ctx.plan, ctx.result
    writer: PackWriter = start_document(ctx, t("pack.executive_pack"))
    names = {s.id: ctx.text(s.name) for s in plan.sectors}

    writer.heading(t("pack.summary"), 1)
    writer.key_value_table([
        (t("pack.plan_score"), ctx.percent(result.plan.score)),
        (t("pack.status"), ctx.status_cell(result.plan.status)),
        (t("pack.coverage"), ctx.percent(result.plan.coverage)),
        (t("pack.change"), change_text(ctx, result.plan.trend)),
        (t("executive.sectors_by_status"), ctx.status_counts((s.status for s in result.sectors), st.STATUSES)),
    ])
    writer.heading(t("pack.key_messages"), 2)
    writer.bullets(plan_messages(ctx))

    writer.heading(t("pack.comparison"), 1)
    by_id = {spec.name: spec for spec in specs}
    number = write_charts(writer, ctx, [by_id[f"{EXECUTIVE}-sectors.png"]], pngs)
    rows: list[list[CellValue]] = []
    for roll in result.sectors:
        indicators = [i for i in result.indicators if i.sector == roll.id]
        rows.append([names[roll.id], ctx.percent(roll.score), ctx.status_cell(roll.status), ctx.percent(roll.coverage),
                     ctx.trend_text(roll.trend),
                     ctx.number(sum(1 for i in indicators if i.status == st.STALLED)),
                     ctx.number(sum(1 for i in indicators if i.status == st.OFF_TRACK))])
    writer.table([t("column.sector"), t("column.score"), t("column.status"), t("column.coverage"), t("column.trend"),
                  ctx.status_label(st.STALLED), ctx.status_label(st.OFF_TRACK)], rows,
                 (4.4, 2.0, 2.6, 2.2, 2.2, 1.8, 1.8), size_pt=9.5)
    number = write_charts(writer, ctx, [by_id[f"{EXECUTIVE}-heatmap.png"], by_id[f"{EXECUTIVE}-trends.png"],
                                        by_id[f"{EXECUTIVE}-status.png"]], pngs, number)

    writer.heading(t("pack.stalled_list"), 1)
    stalled = [i for i in result.indicators if i.status == st.STALLED]
    if stalled:
        index = plan.indicator_index
        writer.table([t("column.sector"), t("column.indicator"), t("column.entity"), t("column.target"),
                      t("column.actual"), t("column.achievement"), t("column.trend")],
                     [[names[i.sector], ctx.text(index[i.id][2].name), ctx.entity_name(i.entity),
                       ctx.number(i.target, 1), ctx.number(i.actual, 1), ctx.percent(i.achievement),
                       ctx.trend_text(i.trend)] for i in stalled], (2.4, 4.2, 2.8, 2.0, 2.0, 1.9, 1.7), size_pt=9)
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.heading(t("pack.delayed_list"), 1)
    behind = [p for p in result.projects if p.status in (st.DELAYED, st.OFF_TRACK)]
    if behind:
        projects = plan.project_index
        writer.table([t("column.sector"), t("column.project"), t("column.entity"), t("column.planned"),
                      t("column.progress"), t("column.status"), t("column.budget_execution")],
                     [[names[p.sector], ctx.text(projects[p.id][1].name), ctx.entity_name(p.entity),
                       ctx.percent(p.planned), ctx.percent(p.actual), ctx.status_cell(p.status),
                       ctx.percent(p.budget_execution)] for p in behind], (2.4, 4.6, 3.0, 1.8, 1.8, 2.2, 1.8), size_pt=9)
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.heading(t("pack.incomplete_list"), 1)
    incomplete = [e for e in result.entities if e.completeness is not None and e.completeness < 100]
    late = [e for e in result.entities if e.timeliness in ("late", "not_received")] if timeliness_shown(ctx) else []
    if late:  # issue 17: entities late or missing, in one sentence
        named = [f"{ctx.entity_name(e.id)} ({t(f'timeliness.{e.timeliness}', days=ctx.number(e.days_late or 0))})"
                 for e in late]
        writer.paragraph(t("timeliness.late_list", entities=("، " if ctx.lang == "ar" else ", ").join(named)))
        incomplete += [e for e in late if e not in incomplete]
    if incomplete:
        write_completeness(writer, ctx, sorted(incomplete, key=lambda e: (e.completeness or 0, e.id)))
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.heading(t("pack.proposed_by_sector"), 1)
    general = [p for p in ctx.proposals if p.sector_id is None]
    if not ctx.proposals:
        writer.paragraph(t("pack.no_proposals"))
    if general:
        writer.heading(t("executive.plan_wide"), 2)
        write_proposals(writer, ctx, general, "pack.no_proposals")
    for sector in plan.sectors:
        mine = [p for p in ctx.proposals if p.sector_id == sector.id]
        if mine:
            writer.heading(names[sector.id], 2)
            write_proposals(writer, ctx, mine, "pack.no_proposals")

    writer.heading(t("pack.overdue_list"), 1)
    overdue = [r for r in ctx.register if r.overdue]
    if overdue:
        writer.table([t("column.id"), t("pack.recommendation"), t("column.sector"), t("pack.owner"), t("pack.due"),
                      t("column.status"), t("pack.note")],
                     [[r.id, r.text, names.get(r.sector_id, "—"), ctx.entity_name(r.owner_entity) if r.owner_entity else "—",
                       ctx.short_label(r.due_period) if r.due_period else "—", recommendation_cell(ctx, r), r.note or "—"]
                      for r in overdue], (1.9, 5.0, 2.0, 2.5, 1.6, 1.9, 2.1), size_pt=8.5)
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.heading(t("pack.annex"), 1)
    writer.heading(t("pack.completeness"), 2)
    write_completeness(writer, ctx, result.entities)
    writer.heading(t("pack.methodology"), 2)
    write_methodology(writer, ctx)
    writer.heading(t("pack.sources"), 2)
    write_sources(writer, ctx, None)
    return writer.to_bytes()
