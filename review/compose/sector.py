"""What goes into each briefing pack, in what order (SPEC §5.2), with wording from templates/.

A pack is composed in two steps so that charts can be rendered apart (in worker processes):
``sector_charts`` lists the charts as :class:`ChartSpec` (plain, picklable data), the build
renders them to PNG bytes, and ``write_sector_pack`` writes the document with those pictures.
This module never spells an OOXML tag (``review.office.word`` does) and never imports matplotlib.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from review.model import status as st
from review.evaluate import IndicatorResult, ProjectResult
from review.language.formats import format_points, indicator_decimals
from review.model.plan import Sector
from review.charts import ChartSpec
from review.office.word.writer import Cell, CellValue, PackWriter
from review.compose.context import PackContext, change_text, describe, start_document, status_items
from review.compose.facts import GroupFacts, by_sector, decisions, sector_facts
from review.compose.sentences import (completeness_sentence, decision_sentence, indicators_sentence, overall_sentence,
                                      projects_sentence, values_text)
from review.compose.sections import chart_thresholds, quarter_words, trend_caption, write_charts, write_completeness, write_follow_up, write_methodology, write_proposals, write_sources

#: Indicators shown in the "furthest behind" chart.
BEHIND_COUNT = 6
#: Column widths (cm) of the indicator table, printed on landscape pages: they add up to the
#: landscape A4 text width of the template (29.7 − 2 × 2 cm).
INDICATOR_WIDTHS = (3.4, 4.5, 3.0, 1.4, 1.7, 1.9, 1.9, 1.8, 1.9, 2.4, 1.8)
INDICATOR_TABLE_PT = 9.0


# -- charts ---------------------------------------------------------------------------------------


def sector_charts(ctx: PackContext, sector: Sector) -> list[ChartSpec]:
    """Return the charts of a sector pack: status mix, objectives, score trend, behind, projects."""
    result, rtl = ctx.result, ctx.lang == "ar"
    formats = ctx.chart_formats()
    common = {"rtl": rtl, "empty_message": ctx.t("pack.chart_no_data")}
    indicators = by_sector(ctx, "indicators", result.indicators).get(sector.id, [])
    specs = []

    title = ctx.t("pack.chart_status")
    items = status_items(ctx, [i.status for i in indicators], st.STATUSES)
    specs.append(ChartSpec(f"{sector.id}-status.png", "status_distribution", (items, title),
                           {**common, "count_format": formats["count"]}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [(a, ctx.number(b)) for a, b, _ in items]))))

    title = ctx.t("pack.chart_objectives")
    names = {o.id: ctx.text(o.name) for o in sector.objectives}
    objectives = by_sector(ctx, "objectives", result.objectives).get(sector.id, [])
    scores = [(names[o.id], o.score, o.status) for o in objectives]
    specs.append(ChartSpec(f"{sector.id}-objectives.png", "score_bars", (scores, title),
                           {**common, "value_format": formats["percent"], "no_data_label": ctx.status_label(st.NO_DATA),
                            "thresholds": (ctx.plan.evaluation.on_track, ctx.plan.evaluation.at_risk)}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, [(n, ctx.percent(s)) for n, s, _ in scores]))))

    title = ctx.t("pack.chart_trend")
    periods = [ctx.short_label(r.period) for r in ctx.history]
    values = [r.sector(sector.id).score for r in ctx.history]
    specs.append(ChartSpec(f"{sector.id}-trend.png", "score_trend",
                           (periods, [(ctx.text(sector.name), values)], title),
                           {**common, "value_format": formats["percent"],
                            "thresholds": (ctx.plan.evaluation.on_track, ctx.plan.evaluation.at_risk)}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(ctx, list(zip(periods, map(ctx.percent, values)))))))

    title = ctx.t("pack.chart_behind")
    achievements = {i.id: i.achievement for i in indicators if i.achievement is not None}
    behind = sorted((i for i in indicators if i.id in achievements), key=lambda i: achievements[i.id])[:BEHIND_COUNT]
    index = ctx.plan.indicator_index
    # Drawn as achievement (SPEC §5.6): a lower-is-better value above its target is a short bar.
    comparisons = [(ctx.text(index[i.id][2].name), i.target, i.actual, i.status, ctx.unit(index[i.id][2].unit),
                    i.achievement) for i in behind]
    specs.append(ChartSpec(f"{sector.id}-behind.png", "target_vs_actual", (comparisons, title),
                           {**common, "labels": (ctx.t("pack.target_label"), ctx.t("pack.actual_label")),
                            "value_format": formats["number"], "percent_format": formats["percent"],
                            "no_data_label": ctx.status_label(st.NO_DATA), "cap": ctx.plan.evaluation.cap}, title,
                           ctx.t("pack.chart_alt", title=title, details=describe(
                               ctx, [(name, f"{ctx.value(tg, 1, unit)} / {ctx.value(ac, 1, unit)} ({ctx.percent(a)})")
                                     for name, tg, ac, _, unit, a in comparisons]))))

    if sector.projects:
        title = ctx.t("pack.chart_projects")
        projects = {p.id: p for p in sector.projects}
        rows = by_sector(ctx, "projects", result.projects).get(sector.id, [])
        progress = [(ctx.text(projects[p.id].name), p.planned, p.actual, p.status) for p in rows]
        specs.append(ChartSpec(f"{sector.id}-projects.png", "project_progress", (progress, title),
                               {**common, "labels": (ctx.t("pack.planned_label"), ctx.t("pack.progress_label")),
                                "value_format": formats["percent"], "no_data_label": ctx.status_label(st.NO_DATA)}, title,
                               ctx.t("pack.chart_alt", title=title, details=describe(
                                   ctx, [(n, f"{ctx.percent(a)} / {ctx.percent(b)}") for n, a, b, _ in progress]))))
    # The captions say what each chart shows (its title is drawn in the picture already).
    captions = {"status": ctx.t("caption.sector_status", period=quarter_words(ctx),
                                count=ctx.count(len(indicators), "indicator", genitive=True)),
                "objectives": ctx.t("caption.objectives", period=quarter_words(ctx), **chart_thresholds(ctx)),
                "trend": trend_caption(ctx, "caption.sector_trend"),
                "behind": ctx.t("caption.behind", period=quarter_words(ctx), number=ctx.number(len(comparisons))),
                "projects": ctx.t("caption.projects", period=quarter_words(ctx))}
    return [replace(spec, caption=captions[spec.name[len(sector.id) + 1:-len(".png")]]) for spec in specs]


# -- document parts -------------------------------------------------------------------------------


def key_messages(ctx: PackContext, sector: Sector, facts: GroupFacts | None = None) -> list[str]:
    """Return the key messages of a sector, each from the sector's facts: score and its trend across
    the quarters, lagging indicators (the lowest named), projects (the furthest behind plan
    named), data completeness, and what the workshop must decide."""
    facts = facts or sector_facts(ctx, sector)
    messages = [overall_sentence(ctx, facts), indicators_sentence(ctx, facts), projects_sentence(ctx, facts),
                completeness_sentence(ctx, facts), decision_sentence(ctx, facts)]
    return [m for m in messages if m]


def sector_entities(ctx: PackContext, sector: Sector) -> list:
    """Return the results of the entities that report any of the sector's indicators or projects."""
    involved = {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
    return [e for e in ctx.result.entities if e.id in involved]


def write_summary(writer: PackWriter, ctx: PackContext, sector: Sector) -> None:
    """Write the executive summary: score, status, coverage, change, counts, key messages."""
    result = ctx.result
    roll = result.sector(sector.id)
    writer.heading(ctx.t("pack.summary"), 1)
    indicators = [i for i in result.indicators if i.sector == sector.id]
    projects = [p for p in result.projects if p.sector == sector.id]
    rows: list[tuple[str, CellValue]] = [
        (ctx.t("pack.sector_score"), ctx.percent(roll.score)),
        (ctx.t("pack.status"), ctx.status_cell(roll.status)),
        (ctx.t("pack.coverage"), ctx.percent(roll.coverage)),
        (ctx.t("pack.change"), change_text(ctx, roll.trend)),
        (ctx.t("pack.indicator_counts"), ctx.status_counts((i.status for i in indicators), st.STATUSES)),
    ]
    if projects:
        rows.append((ctx.t("pack.project_counts"), ctx.status_counts((p.status for p in projects), st.PROJECT_STATUSES)))
    writer.key_value_table(rows)
    writer.heading(ctx.t("pack.key_messages"), 2)
    writer.bullets(key_messages(ctx, sector))


def write_achievements(writer: PackWriter, ctx: PackContext, facts: GroupFacts) -> None:
    """Write «أبرز الإنجازات»: indicators at or above target, completed projects, implemented
    recommendations — each counted and named, or one sentence saying there are none."""
    writer.heading(ctx.t("achievements.title"), 1)
    above, completed, implemented = facts.above_target, facts.completed, facts.implemented
    if not (above or completed or implemented):
        writer.paragraph(ctx.t("achievements.none"))
        return
    if above:
        writer.paragraph(ctx.t("achievements.above_target", count=ctx.count(len(above), "indicator"),
                               total=ctx.count(len(facts.indicators), "indicator", genitive=True)), bold=True)
        writer.bullets([ctx.t("achievements.above_item", name=i.name, values=values_text(ctx, i),
                              achievement=ctx.percent(i.result.achievement)) for i in above])
    if completed:
        writer.paragraph(ctx.t("achievements.completed", count=ctx.count(len(completed), "project")), bold=True)
        writer.bullets([ctx.t("achievements.completed_item", name=p.name, entity=p.entity_name) for p in completed])
    if implemented:
        writer.paragraph(ctx.t("achievements.implemented", count=ctx.count(len(implemented), "recommendation")),
                         bold=True)
        writer.bullets([f"{r.id}: {ctx.data_text(r.text)}" for r in implemented])


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
                ctx.unit(indicator.unit),
                ctx.number(indicator.baseline, decimals),
                ctx.number(r.target, decimals),
                ctx.number(r.actual, decimals),
                format_points(variance, decimals, ctx.lang, ctx.digits),
                ctx.percent(r.achievement),
                ctx.status_cell(r.status),
                ctx.trend_cell(r.trend),
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
    rows: list[list[CellValue]] = []
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
        rows: list[list[CellValue]] = []
        for c in groups[entity_id]:
            lines = [ctx.data_text(c.description)] if c.description else []
            related = c.indicator_id or c.project_id
            if related:
                item = (ctx.plan.indicator_index[related][2] if c.indicator_id else ctx.plan.project_index[related][1])
                lines.append(t("pack.related", item=ctx.text(item.name)))
            description = "\n".join(lines)
            category = ctx.text(ctx.plan.challenge_categories[c.category]) if c.category else "—"
            severity = t(f"severity.{c.severity}") if c.severity else "—"
            fill = {"high": st.colour(st.OFF_TRACK), "medium": st.colour(st.AT_RISK)}.get(c.severity)
            colour = {"high": "FFFFFF", "medium": "000000"}.get(c.severity)
            rows.append([description or "—", ctx.data_text(c.cause) or "—", ctx.data_text(c.remedy) or "—",
                         ctx.data_text(c.support_needed) or "—", ctx.data_text(c.reply) or "—",
                         category, Cell(severity, fill=fill, colour=colour, bold=bool(fill), align="center")])
        headers = [t("pack.challenge"), t("pack.cause"), t("pack.remedy"), t("pack.support"), t("facts.reply_column"),
                   t("pack.category"), t("pack.severity")]
        widths: tuple[float, ...] = (3.3, 2.6, 2.6, 2.2, 2.7, 1.8, 1.8)
        if not any(c.reply for c in groups[entity_id]):  # the replies column only when an entity replied
            headers.pop(4)
            rows = [row[:4] + row[5:] for row in rows]
            widths = (4.2, 3.3, 3.3, 2.8, 1.8, 1.6)
        writer.table(headers, rows, widths, size_pt=9)


def write_sector_pack(ctx: PackContext, sector: Sector, specs: list[ChartSpec], pngs: dict[str, bytes]) -> bytes:
    """Return the sector's briefing pack (.docx bytes), composed in the order of SPEC §5.2."""
    t = ctx.t
    writer = start_document(ctx, t("pack.sector_pack", sector=ctx.text(sector.name)))
    write_summary(writer, ctx, sector)
    write_achievements(writer, ctx, sector_facts(ctx, sector))
    writer.heading(t("pack.charts"), 1)
    write_charts(writer, ctx, specs, pngs)
    write_indicators(writer, ctx, sector)
    write_projects(writer, ctx, sector)
    write_challenges(writer, ctx, sector)
    writer.heading(t("pack.proposed"), 1)
    write_proposals(writer, ctx, [d for d in decisions(ctx) if d.sector_id == sector.id], "pack.no_proposals")
    writer.heading(t("pack.follow_up"), 1)
    write_follow_up(writer, ctx, [r for r in ctx.register if r.sector_id == sector.id], "pack.no_follow_up")
    writer.heading(t("pack.annex"), 1)
    writer.heading(t("pack.completeness"), 2)
    write_completeness(writer, ctx, sector_entities(ctx, sector))
    writer.heading(t("pack.methodology"), 2)
    write_methodology(writer, ctx)
    writer.heading(t("pack.sources"), 2)
    write_sources(writer, ctx, sector)
    return writer.to_bytes()
