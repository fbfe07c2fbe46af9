"""The executive pack (``executive.docx``): the cross-sector briefing for the workshop chair.

Same template, direction and quality bars as the sector packs, composed from the same context:
plan score and change, sector comparison (chart and table), a sector × status heat map, sector
score trends, then what needs the chair's attention across the plan — stalled indicators,
delayed projects, entities with incomplete data, proposed and overdue recommendations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from review.model import status as st
from review.charts import ChartSpec
from review.compose.context import PackContext, change_text, describe, start_document
from review.compose.sections import (chart_thresholds, quarter_words, recommendation_cell, sector_digest, trend_caption, timeliness_shown,
                                     wording_key, write_charts, write_completeness, write_methodology, write_sources)
from review.compose.facts import (Decision, GroupFacts, IndicatorFact, ProjectFact, decisions, memoized, plan_facts,
                                  sector_facts)
from review.compose.sentences import overall_sentence, project_gap_values, reported_lines, values_text
from review.office.word.writer import Cell, CellValue, PackWriter, Row

EXECUTIVE = "executive"
#: Font size of the tables that list items of every sector (lagging indicators, projects behind
#: plan, decisions): their rows are measured at it once, with the sector's part (:func:`sector_rows`).
ITEMS_PT = 8.5


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
    tally = Counter((i.sector, i.status) for i in result.indicators)
    counts = [[tally[s.id, key] for key in st.STATUSES] for s in plan.sectors]
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
    # The captions say what each chart shows (its title is drawn in the picture already).
    period = quarter_words(ctx)
    captions = {"sectors": ctx.t("caption.sectors", period=period, **chart_thresholds(ctx)),
                "heatmap": ctx.t("caption.heatmap", period=period),
                "trends": trend_caption(ctx, "caption.sector_trends"),
                "status": ctx.t("caption.plan_status", period=period,
                                count=ctx.count(len(result.indicators), "indicator", genitive=True))}
    return [replace(spec, caption=captions[spec.name[len(EXECUTIVE) + 1:-len(".png")]]) for spec in specs]


def plan_messages(ctx: PackContext, facts: GroupFacts | None = None) -> list[str]:
    """Return the executive key messages, each from the plan's facts: score and trend, strongest and
    weakest sectors (and those declining quarter after quarter), the lowest indicator, the project
    furthest behind plan (by gap), and what the workshop must decide."""
    facts = facts or plan_facts(ctx)
    messages = [overall_sentence(ctx, facts)]
    scored = [s for s in facts.sectors if s.score is not None]
    if scored:
        weakest = min(scored, key=lambda s: s.score or 0.0)
        strongest = max(scored, key=lambda s: s.score or 0.0)
        messages.append(ctx.t("executive.msg_sectors", strongest=strongest.name,
                              strongest_score=ctx.percent(strongest.score),
                              weakest=weakest.name, weakest_score=ctx.percent(weakest.score)))
    declining = [s for s in facts.sectors if s.trend.direction == "down" and s.trend.streak >= 2]
    if declining:
        messages.append(ctx.t("chair.declining", sectors=ctx.join(
            ctx.t("chair.declining_item", sector=s.name, nth=ctx.nth(s.trend.streak)) for s in declining)))
    lagging = facts.lagging
    if lagging:
        worst = lagging[0]
        messages.append(ctx.t("chair.worst_indicator", name=worst.name, sector=worst.sector_name,
                              entity=worst.entity_name, achievement=ctx.percent(worst.result.achievement),
                              values=values_text(ctx, worst), count=ctx.count(len(lagging), "indicator"),
                              total=ctx.count(len(facts.indicators), "indicator", genitive=True),
                              stalled=ctx.count(facts.indicator_counts[st.STALLED], "indicator")))
    else:
        messages.append(ctx.t("chair.no_lagging"))
    behind = facts.behind
    if behind:
        late = behind[0]
        messages.append(ctx.t("chair.furthest_project", name=late.name, sector=late.sector_name,
                              entity=late.entity_name, count=ctx.count(len(behind), "project"),
                              total=ctx.count(len(facts.projects), "project", genitive=True), **project_gap_values(ctx, late)))
    messages.append(ctx.t("chair.decide", proposals=ctx.count(len(decisions(ctx)), "decision"),
                          overdue=ctx.count(len(facts.overdue), "recommendation")))
    return messages


def top_issue(ctx: PackContext, facts: GroupFacts) -> str:
    """Return a sector's top issue for the dashboard: its lowest lagging indicator, else its project
    furthest behind plan, else its first incomplete entity, else a decline of two quarters or
    more, else «—»."""
    if facts.lagging:
        worst = facts.lagging[0]
        return ctx.t("one_page.issue_indicator", name=worst.name, achievement=ctx.percent(worst.result.achievement))
    if facts.behind:
        late = facts.behind[0]
        return ctx.t("one_page.issue_project", name=late.name, gap=ctx.number(late.gap, 1))
    if facts.incomplete_entities:
        return ctx.t("one_page.issue_data", entity=ctx.entity_name(facts.incomplete_entities[0]))
    if facts.trend.direction == "down" and facts.trend.streak >= 2:
        return ctx.t("one_page.issue_decline", nth=ctx.nth(facts.trend.streak))
    return "—"


def write_dashboard(writer: PackWriter, ctx: PackContext, facts: GroupFacts) -> None:
    """Write the one-page dashboard that opens the chair's pack (SPEC §5.6): a row per sector with
    score, status, change, lagging indicators, data coverage and the top issue, traffic-light cells."""
    t = ctx.t
    writer.heading(t("one_page.title"), 1)
    rows: list[list[CellValue]] = []
    for sector in facts.sectors + (facts,):
        lagging = len(sector.lagging)
        name = sector.name if sector.sector is not None else t("one_page.plan_row")
        rows.append([Cell(name, bold=sector.sector is None), ctx.status_cell(sector.status) if sector.score is None
                     else Cell(ctx.percent(sector.score), fill=st.colour(sector.status),
                               colour=st.TEXT_COLOURS.get(sector.status), bold=True, align="center"),
                     ctx.status_cell(sector.status), ctx.trend_cell(sector.trend.change),
                     Cell(ctx.number(lagging), fill=st.colour(st.OFF_TRACK) if lagging else None,
                          colour="FFFFFF" if lagging else None, bold=bool(lagging), align="center"),
                     ctx.percent(sector.coverage), top_issue(ctx, sector)])
    writer.table([t("column.sector"), t("column.score"), t("column.status"), t("column.trend"),
                  t("one_page.lagging_column"), t("column.coverage"), t("one_page.issue_column")], rows,
                 (2.6, 1.6, 2.2, 1.6, 1.8, 2.0, 5.2), size_pt=9)
    writer.paragraph(t("one_page.note"), size_pt=8.5, colour="595959")
    writer.page_break()


def write_lagging(writer: PackWriter, ctx: PackContext, facts: GroupFacts) -> None:
    """Write every off-track and stalled indicator of the plan, lowest achievement first, with its
    unit, actual, target, achievement, entity and what the entity reported (or «لم تُقدَّم أسباب»)."""
    t = ctx.t
    writer.heading(t("chair.lagging_list"), 1)
    if not facts.lagging:
        writer.paragraph(t("chair.no_lagging"))
        return
    rows = [sector_rows(writer, ctx, i.result.sector)["lagging"][i.id] for i in facts.lagging]
    writer.table([t("column.sector"), t("column.indicator"), t("column.entity"), t("column.unit"), t("column.target"),
                  t("column.actual"), t("column.achievement"), t("column.status"), t("column.trend"),
                  t("facts.reported")], rows, (2.2, 3.8, 2.6, 1.5, 2.0, 2.0, 1.9, 1.9, 1.7, 6.1), size_pt=ITEMS_PT)


def lagging_row(ctx: PackContext, i: IndicatorFact) -> list[CellValue]:
    """Return a lagging indicator's row of :func:`write_lagging`."""
    r = i.result
    return [i.sector_name, i.name, i.entity_name, i.unit or "—", ctx.number(r.target, i.decimals),
            ctx.number(r.actual, i.decimals), ctx.percent(r.achievement), ctx.status_cell(r.status),
            ctx.trend_cell(r.trend), reported_lines(ctx, i)]


def write_behind(writer: PackWriter, ctx: PackContext, facts: GroupFacts) -> None:
    """Write every delayed, off-track and at-risk project, furthest behind plan first, with what
    the entity reported."""
    t = ctx.t
    writer.heading(t("chair.behind_list"), 1)
    if not facts.behind:
        writer.paragraph(t("pack.none_reported"))
        return
    rows = [sector_rows(writer, ctx, p.result.sector)["behind"][p.id] for p in facts.behind]
    writer.table([t("column.sector"), t("column.project"), t("column.entity"), t("column.planned"),
                  t("column.progress"), t("facts.gap"), t("column.status"), t("column.budget_execution"),
                  t("facts.reported")], rows, (2.2, 4.0, 2.6, 1.9, 1.9, 1.7, 2.0, 1.9, 7.5), size_pt=ITEMS_PT)


def behind_row(ctx: PackContext, p: ProjectFact) -> list[CellValue]:
    """Return a project's row of :func:`write_behind`."""
    r = p.result
    return [p.sector_name, p.name, p.entity_name, ctx.percent(r.planned), ctx.percent(r.actual),
            ctx.number(p.gap, 1), ctx.status_cell(r.status), ctx.percent(r.budget_execution),
            reported_lines(ctx, p)]


def write_decisions(writer: PackWriter, ctx: PackContext, items: tuple[Decision, ...]) -> None:
    """Write the decisions sheet «القرارات المطلوبة من الورشة»: each proposed decision numbered once
    across the plan, with its sector, owner, proposed due quarter, evidence and the items it covers."""
    t = ctx.t
    writer.heading(t("decisions.title"), 1)
    if not items:
        writer.paragraph(t("pack.no_proposals"))
        return
    writer.paragraph(t("decisions.intro", count=ctx.count(len(items), "decision")))
    sectors = ctx.plan.sector_by_id
    rows: list[Row | list[CellValue]] = []
    for item in items:
        if item.sector_id in sectors:
            rows.append(sector_rows(writer, ctx, item.sector_id)["decisions"][item.number])
        else:  # a plan-wide decision
            rows.append(decision_row(ctx, item))
    writer.table([t("pack.number"), t("decisions.decision"), t("column.sector"), t("pack.owner"),
                  t("decisions.due"), t("pack.evidence"), t("decisions.covers")], rows,
                 (1.0, 7.6, 2.2, 2.6, 1.8, 6.5, 4.0), size_pt=ITEMS_PT)


def decision_row(ctx: PackContext, item: Decision) -> list[CellValue]:
    """Return a decision's row of :func:`write_decisions`."""
    index, projects = ctx.plan.indicator_index, ctx.plan.project_index
    sector = ctx.plan.sector_by_id.get(item.sector_id or "")
    covered = [ctx.text(index[i][2].name) if i in index else ctx.text(projects[i][1].name) for i in item.covers]
    return [ctx.number(item.number), ctx.data_text("\n".join(item.texts)),
            ctx.text(sector.name) if sector is not None else ctx.t("decisions.plan_wide"),
            ctx.entity_name(item.owner) if item.owner else "—", ctx.short_label(item.due),
            ctx.data_text("\n".join(item.evidence)), "\n".join(covered) or "—"]


def sector_rows(writer: PackWriter, ctx: PackContext, sector_id: str) -> dict[str, dict]:
    """Return the rows of one sector's items in the executive pack's plan-wide tables, made ready
    and measured by ``writer`` (:meth:`PackWriter.row`): ``lagging`` indicators and projects
    ``behind`` plan by id, ``decisions`` by number.

    A national plan's tables list thousands of items, and a rebuild after one sector's change
    would prepare and measure them all again: the rows come from the build's cache when nothing
    they show has changed, keyed by everything the sector's pack shows
    (:func:`review.compose.sections.sector_key`: the items' results and reported causes, the
    sector's decisions with their numbers, the language and digits), the plan and the wording
    (:func:`review.compose.sections.wording_key`: names, units, labels). Asked once per sector, by
    the first table that lists one of its items: the tables share one part.
    """
    sector = ctx.plan.sector_by_id[sector_id]

    def compute() -> dict[str, dict]:
        facts = sector_facts(ctx, sector)
        mine = _decisions_by_sector(ctx).get(sector_id, ())
        return {"lagging": {i.id: writer.row(lagging_row(ctx, i), ITEMS_PT) for i in facts.lagging},
                "behind": {p.id: writer.row(behind_row(ctx, p), ITEMS_PT) for p in facts.behind},
                "decisions": {d.number: writer.row(decision_row(ctx, d), ITEMS_PT) for d in mine}}

    def part() -> dict[str, dict]:
        if ctx.remember is None:
            return compute()
        return ctx.remember(("executive-sector", wording_key(ctx), sector_digest(ctx, sector)), compute)

    # Once per context and language (the writer's, which makes the rows: the context's).
    return memoized(ctx, ("executive-sector", sector_id, writer.lang), part)


def _decisions_by_sector(ctx: PackContext) -> dict[str | None, tuple[Decision, ...]]:
    """Return the decisions of each sector (None: plan-wide), by number, indexed once per context."""
    def compute() -> dict[str | None, tuple[Decision, ...]]:
        found: dict[str | None, list[Decision]] = {}
        for item in decisions(ctx):
            found.setdefault(item.sector_id, []).append(item)
        return {key: tuple(items) for key, items in found.items()}
    return memoized(ctx, ("decisions-by-sector",), compute)


def write_plan_achievements(writer: PackWriter, ctx: PackContext, facts: GroupFacts) -> None:
    """Write «أبرز الإنجازات» across the plan: one sentence of counts, then a row per sector."""
    t = ctx.t
    writer.heading(t("achievements.title"), 1)
    above, completed, implemented = facts.above_target, facts.completed, facts.implemented
    if not (above or completed or implemented):
        writer.paragraph(t("achievements.none"))
        return
    writer.paragraph(t("achievements.plan_summary", above=ctx.count(len(above), "indicator"),
                       completed=ctx.count(len(completed), "project"),
                       implemented=ctx.count(len(implemented), "recommendation")))
    rows: list[list[CellValue]] = []
    for sector in facts.sectors:
        best = sector.above_target[0] if sector.above_target else None
        rows.append([sector.name, ctx.number(len(sector.above_target)), ctx.number(len(sector.completed)),
                     ctx.number(len(sector.implemented)),
                     f"{best.name} ({ctx.percent(best.result.achievement)})" if best else "—"])
    writer.table([t("column.sector"), t("achievements.above_column"), t("achievements.completed_column"),
                  t("achievements.implemented_column"), t("achievements.best_column")], rows,
                 (3.4, 2.4, 2.4, 2.4, 6.4), size_pt=9)


def write_executive_pack(ctx: PackContext, specs: list[ChartSpec], pngs: dict[str, bytes]) -> bytes:
    """Return ``executive.docx``: the cross-sector pack for the workshop chair."""
    t, plan, result = ctx.t, ctx.plan, ctx.result
    writer: PackWriter = start_document(ctx, t("pack.executive_pack"))
    facts = plan_facts(ctx)
    write_dashboard(writer, ctx, facts)
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
    writer.bullets(plan_messages(ctx, facts))

    writer.heading(t("pack.comparison"), 1)
    by_id = {spec.name: spec for spec in specs}
    number = write_charts(writer, ctx, [by_id[f"{EXECUTIVE}-sectors.png"]], pngs)
    rows: list[list[CellValue]] = []
    counts = Counter((i.sector, i.status) for i in result.indicators)
    for roll in result.sectors:
        rows.append([names[roll.id], ctx.percent(roll.score), ctx.status_cell(roll.status), ctx.percent(roll.coverage),
                     ctx.trend_cell(roll.trend), ctx.number(counts[roll.id, st.STALLED]),
                     ctx.number(counts[roll.id, st.OFF_TRACK])])
    writer.table([t("column.sector"), t("column.score"), t("column.status"), t("column.coverage"), t("column.trend"),
                  ctx.status_label(st.STALLED), ctx.status_label(st.OFF_TRACK)], rows,
                 (4.4, 2.0, 2.6, 2.2, 2.2, 1.8, 1.8), size_pt=9.5)
    number = write_charts(writer, ctx, [by_id[f"{EXECUTIVE}-heatmap.png"], by_id[f"{EXECUTIVE}-trends.png"],
                                        by_id[f"{EXECUTIVE}-status.png"]], pngs, number)

    writer.orientation(landscape=True)
    write_lagging(writer, ctx, facts)
    write_behind(writer, ctx, facts)
    writer.orientation(landscape=False)
    write_plan_achievements(writer, ctx, facts)

    writer.heading(t("pack.incomplete_list"), 1)
    incomplete = [e for e in result.entities if e.completeness is not None and e.completeness < 100]
    late = [e for e in result.entities if e.timeliness in ("late", "not_received")] if timeliness_shown(ctx) else []
    if late:  # issue 17: entities late or missing, in one sentence
        named = [f"{ctx.entity_name(e.id)} ({t(f'timeliness.{e.timeliness}', days=ctx.number(e.days_late or 0))})"
                 for e in late]
        writer.paragraph(t("timeliness.late_list", entities=("، " if ctx.lang == "ar" else ", ").join(named)))
        incomplete += [e for e in late if e not in incomplete]
    if incomplete:
        write_completeness(writer, ctx, sorted(incomplete, key=lambda e: (e.completeness or 0, e.id)), kept=True)
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.orientation(landscape=True)
    write_decisions(writer, ctx, decisions(ctx))
    writer.orientation(landscape=False)

    writer.heading(t("pack.overdue_list"), 1)
    overdue = [r for r in ctx.register if r.overdue]
    if overdue:
        writer.table([t("column.id"), t("pack.recommendation"), t("column.sector"), t("pack.owner"), t("pack.due"),
                      t("column.status"), t("pack.note")],
                     [[r.id, ctx.data_text(r.text), names.get(r.sector_id, "—"), ctx.entity_name(r.owner_entity) if r.owner_entity else "—",
                       ctx.short_label(r.due_period) if r.due_period else "—", recommendation_cell(ctx, r), ctx.data_text(r.note) or "—"]
                      for r in overdue], (1.9, 5.0, 2.0, 2.5, 1.6, 1.9, 2.1), size_pt=8.5)
    else:
        writer.paragraph(t("pack.none_reported"))

    writer.heading(t("pack.annex"), 1)
    writer.heading(t("pack.completeness"), 2)
    write_completeness(writer, ctx, result.entities, kept=True)
    writer.heading(t("pack.methodology"), 2)
    write_methodology(writer, ctx)
    writer.heading(t("pack.sources"), 2)
    write_sources(writer, ctx, None)
    return writer.to_bytes()
