"""What goes on the data dashboard (SPEC §5.7): one offline page per revision, and one across the
quarters of a plan — as plain values for ``review.office.html`` to render.

Numbers come from the ``results.json`` document of their period (the machine contract), worded
with the packs' phrases, status vocabulary and digits; each number shown carries its unrounded
value in a ``data-v`` attribute, which the page sorts by and the tests compare with the document.
Sentences are the packs' own key messages. Nothing here spells HTML beyond what the template asks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from operator import attrgetter

from review.compose.context import PackContext, change_text
from review.compose.facts import by_sector, memoized
from review.compose.executive import plan_messages
from review.compose.sections import sector_digest, wording_key
from review.compose.sector import key_messages
from review.evaluate import IndicatorResult
from review.language.formats import format_date, format_points, indicator_decimals
from review.model import status as st
from review.model.data import DataSet
from review.model.periods import Period, period_label
from review.model.plan import Plan, Sector
from review.office.html import (Series, chart_geometry, json_script, json_text, line_chart, render_fragment,
                                render_page)

#: Phrase keys of the page's fixed wording (``dashboard.*`` in templates/phrases.yaml), read once.
LABELS = ("title", "across_title", "overview", "register", "completeness", "nav", "skip",
          "search", "search_label", "status_filter", "entity_filter", "all_statuses", "all_entities", "shown",
          "details", "series", "history", "entity_challenges", "no_entity_challenges",
          "indicators_by_status", "projects_by_status", "objectives", "overdue_count", "overdue_only",
          "no_register", "received_on", "days_late", "periods", "revision", "issued", "plan_trend",
          "sector_trends", "indicator_matrix", "print", "period", "sector_scores", "proposals", "related",
          "key_messages", "no_indicators_shown", "behind")


#: The status whose colours a recommendation's follow-up status wears (as in the packs).
REGISTER_COLOURS = {"done": st.ON_TRACK, "in_progress": st.AT_RISK, "not_started": st.NO_DATA, "dropped": st.NO_DATA}


#: The series chart's colours: target (dashed) and actual.
TARGET_COLOUR, ACTUAL_COLOUR = "#5F6B7A", "#1F4E79"
#: What the page's script reads to draw an indicator's series when its row is opened:
#: ``{"periods": [label…], "status": {key: label}, "text": {…}, "series": {indicator id:
#: {"g": chart geometry (review.office.html.chart_geometry), "h": [[target, actual, achievement,
#: status key] per period]}}}`` — texts already in the plan's digits.
SERIES_DOC = "series"
#: The chart geometry's keys that every indicator's chart shares (written once, as ``frame``).
FRAME = ("w", "h", "gx", "ax", "ly", "x")


def raw(value: float | None) -> str:
    """Return a number as ``data-v`` holds it: the shortest text that reads back as the same float
    (JSON's, so equal to ``results.json``); '' for None."""
    return "" if value is None else repr(float(value))


def _labels(ctx: PackContext) -> dict[str, str]:
    found = {key: ctx.t(f"dashboard.{key}") for key in LABELS}
    for key in ("plan_score", "sector_score", "status", "coverage", "change", "projects", "challenges",
                "cause", "remedy", "support", "recommendation", "owner", "adopted", "due", "note", "evidence",
                "number", "severity", "target_label", "actual_label", "indicators", "no_projects",
                "no_challenges", "no_proposals"):
        found[key] = ctx.t(f"pack.{key}")
    for key in ("id", "sector", "objective", "indicator", "project", "entity", "unit", "baseline", "target",
                "actual", "variance", "achievement", "score", "status", "trend_pp", "planned", "progress",
                "budget_execution", "completeness", "expected", "received", "focal_point"):
        found[f"col_{key}"] = ctx.t(f"column.{key}")
    return found


def _status(ctx: PackContext, key: str) -> dict:
    return {"key": key, "label": ctx.status_label(key)}


def _vocabulary(ctx: PackContext) -> list[dict]:
    """Return every status with its label and colours (the page's one palette)."""
    keys = list(dict.fromkeys(st.STATUSES + st.PROJECT_STATUSES))
    return [{"key": k, "label": ctx.status_label(k), "fill": st.colour(k), "ink": st.TEXT_COLOURS[k]} for k in keys]


def _counts(ctx: PackContext, statuses: Sequence[str], order: tuple[str, ...]) -> list[dict]:
    counts = Counter(statuses)
    return [{**_status(ctx, k), "count": counts[k], "text": ctx.number(counts[k])} for k in order]


def _bands(ctx: PackContext) -> list[tuple[float, float, str]]:
    settings = ctx.plan.evaluation
    return [(0.0, settings.at_risk, "#" + st.colour(st.OFF_TRACK)),
            (settings.at_risk, settings.on_track, "#" + st.colour(st.AT_RISK)),
            (settings.on_track, max(settings.cap, 100.0), "#" + st.colour(st.ON_TRACK))]


def _header(ctx: PackContext, title: str) -> dict:
    plan = ctx.plan
    return {"lang": ctx.lang, "dir": "rtl" if ctx.lang == "ar" else "ltr", "digits": ctx.digits,
            "title": title, "plan": ctx.text(plan.title), "organization": ctx.text(plan.organization),
            "classification": ctx.text(plan.classification), "notice": ctx.text(plan.notice),
            "labels": _labels(ctx), "statuses": _vocabulary(ctx),
            "indicator_statuses": [_status(ctx, k) for k in st.STATUSES]}


# -- the revision's page --------------------------------------------------------------------------

def dashboard_page(ctx: PackContext, document: dict) -> dict:
    """Return the values of one period's dashboard: the plan at a glance, each sector with its
    indicators (series, history, challenges) and projects, the recommendations register and the
    data completeness per entity. ``document`` is the period's ``results.json`` (its numbers are
    the ones shown); entities' ``received``/``days_late`` there are shown when present."""
    plan = ctx.plan
    page = _header(ctx, ctx.t("dashboard.title"))
    page.update(period=ctx.period_label(), issued=ctx.t("pack.issued", date=format_date(ctx.issue_date, ctx.lang, ctx.digits)))
    sectors = {s["id"]: s for s in document["sectors"]}
    indicators = {i["id"]: i for i in document["indicators"]}
    page["overview"] = _overview(ctx, document)
    projects, objectives = defaultdict(list), defaultdict(list)  # by sector, in order: one pass each
    for p in document["projects"]:
        projects[p["sector"]].append(p)
    for o in document["objectives"]:
        objectives[o["sector"]].append(o)
    parts = [_sector_part(ctx, page, sector, sectors[sector.id],
                          [indicators[i.id] for _, i in sector.indicators()],
                          projects[sector.id], objectives[sector.id])
             for sector in plan.sectors]
    page["sectors"] = [{"id": sector.id, "name": ctx.text(sector.name), "html": html}
                       for sector, (html, _, _) in zip(plan.sectors, parts)]
    page["register"] = _register(ctx)
    page["proposals"] = [{"sector": ctx.text(plan.sector_by_id[p.sector_id].name) if p.sector_id else "",
                          "text": p.text, "evidence": p.evidence} for p in ctx.proposals]
    page["completeness"] = _completeness(ctx, document["entities"])
    # What every indicator's chart shares (size, plot, label places) is written once: the first's.
    frame = next((shared for _, _, shared in parts if shared is not None), {})
    page["series"] = json_script({
        "periods": [ctx.short_label(r.period) for r in ctx.history],
        "status": {k["key"]: k["label"] for k in page["statuses"]},
        "text": {"series": ctx.t("dashboard.series"), "history": ctx.t("dashboard.history"),
                 "period": ctx.t("dashboard.period"), "target": ctx.t("column.target"),
                 "actual": ctx.t("column.actual"), "achievement": ctx.t("column.achievement"),
                 "status": ctx.t("column.status"), "target_label": ctx.t("pack.target_label"),
                 "actual_label": ctx.t("pack.actual_label")},
        "frame": frame}, {"series": {ident: entry for _, found, _ in parts for ident, entry in found.items()}})
    return page


def render_dashboard(ctx: PackContext, document: dict) -> bytes:
    """Return ``dashboard.html`` (UTF-8 bytes) of one period: see :func:`dashboard_page`."""
    return render_page("dashboard.html.j2", dashboard_page(ctx, document))


def _overview(ctx: PackContext, document: dict) -> dict:
    plan, roll = ctx.plan, ctx.result.plan
    score = document["plan_score"]
    rows = []
    behind = Counter(i["sector"] for i in document["indicators"] if i["status"] in (st.OFF_TRACK, st.STALLED))
    for s in document["sectors"]:
        rows.append({"id": s["id"], "name": ctx.text(plan.sector_by_id[s["id"]].name),
                     "score": ctx.percent(s["score"]), "score_v": raw(s["score"]),
                     "bar": 0 if s["score"] is None else round(min(s["score"], 100.0), 1),
                     **_status(ctx, s["status"]), "status_v": s["status"],
                     "change": ctx.trend_text(s["trend"]), "trend_v": raw(s["trend"]),
                     "coverage": ctx.percent(s["coverage"]), "coverage_v": raw(s["coverage"]),
                     "behind": ctx.number(behind[s["id"]]), "behind_v": str(behind[s["id"]])})
    periods = [ctx.short_label(r.period) for r in ctx.history]
    title = ctx.t("dashboard.plan_trend")
    chart = line_chart(periods, [Series(ctx.text(plan.title), [r.plan.score for r in ctx.history], "#1F4E79")],
                       lambda v: ctx.percent(v, 0), title, rtl=ctx.lang == "ar", bands=_bands(ctx))
    return {"score": ctx.percent(score), "score_v": raw(score), "status": _status(ctx, roll.status),
            "change": change_text(ctx, roll.trend), "trend_v": raw(roll.trend),
            "coverage": ctx.percent(roll.coverage),
            "counts": _counts(ctx, [i["status"] for i in document["indicators"]], st.STATUSES),
            "project_counts": _counts(ctx, [p["status"] for p in document["projects"]], st.PROJECT_STATUSES),
            "sectors": rows, "messages": plan_messages(ctx), "chart": chart, "chart_title": title,
            "trend_table": [{"period": label, "score": ctx.percent(r.plan.score), **_status(ctx, r.plan.status)}
                            for label, r in zip(periods, ctx.history)]}


def _sector_part(ctx: PackContext, page: dict, sector: Sector, roll: dict, indicators: list[dict],
                 projects: list[dict], objectives: list[dict]) -> tuple[str, dict[str, str], dict | None]:
    """Return a sector's section of the page (HTML), its indicators' series (see :data:`SERIES_DOC`)
    as JSON texts by indicator, without what every chart shares, and what they share (None: no
    indicator), from the build's cache when nothing they show has changed: keyed by
    everything the sector's pack shows (:func:`review.compose.sections.sector_key`: its results,
    of which ``results.json``'s numbers are made), the plan and wording (of which the page's labels
    are), its indicators' history and its proposals."""
    def compute() -> tuple[str, dict[str, str], dict | None]:
        values = _sector(ctx, sector, roll, {i["id"]: i for i in indicators}, projects, objectives)
        series = {i["id"]: i.pop("series") for i in values["indicators"]}
        shared = {key: next(iter(series.values()))["g"][key] for key in FRAME} if series else None
        # Plain texts: cheap to keep and read back (an object graph per indicator is not).
        texts = {ident: json_text({**entry, "g": {k: v for k, v in entry["g"].items() if k not in FRAME}})
                 for ident, entry in series.items()}
        return str(render_fragment("dashboard-sector.html.j2", page, s=values)), texts, shared

    if ctx.remember is None:
        return compute()
    proposals = [(p.text, p.evidence) for p in by_sector(ctx, "proposals", ctx.proposals, attrgetter("sector_id")).get(sector.id, [])]
    # The page's labels and statuses come from the wording, and the sector's numbers in results.json
    # from its results (in the sector's key): neither is hashed again here.
    key = ("dashboard-sector", wording_key(ctx), sector_digest(ctx, sector), history_digest(ctx, sector.id), proposals)
    return ctx.remember(key, compute)


def history_digest(ctx: PackContext, sector_id: str) -> str:
    """Return a SHA-256 of a sector's indicators' targets, actuals, achievements and statuses in
    every quarter of the history (what their series show), the quarters indexed once per context."""
    def index() -> dict[str, str]:
        found: dict[str, list] = defaultdict(list)
        for r in ctx.history:
            rows: dict[str, list] = defaultdict(list)
            for i in r.indicators:
                rows[i.sector].append((i.id, i.target, i.actual, i.achievement, i.status))
            for sector in ctx.plan.sectors:
                found[sector.id].append((str(r.period), rows.get(sector.id, [])))
        # repr of tuples of text, floats (written exactly) and None: the same in any process.
        return {sid: hashlib.sha256(repr(value).encode("utf-8")).hexdigest() for sid, value in found.items()}
    return memoized(ctx, ("dashboard-history",), index)[sector_id]


def _sector(ctx: PackContext, sector: Sector, roll: dict, indicators: dict[str, dict], projects: list[dict],
            objectives: list[dict]) -> dict:
    plan = ctx.plan
    names = {o.id: ctx.text(o.name) for o in sector.objectives}
    challenges = [c for c in ctx.data.get(ctx.period).challenges if c.sector_id == sector.id]
    histories = [(r.period, {i.id: i for i in r.indicators if i.sector == sector.id}) for r in ctx.history]
    rows = [_indicator(ctx, objective.id, names[objective.id], indicator, indicators[indicator.id], challenges,
                       histories)
            for objective in sector.objectives for indicator in objective.indicators]
    entities = sorted({r["entity_id"] for r in rows}, key=[e.id for e in plan.entities].index)
    by_id = {p.id: p for p in sector.projects}
    return {
        "id": sector.id, "name": ctx.text(sector.name),
        "score": ctx.percent(roll["score"]), "score_v": raw(roll["score"]), "status": _status(ctx, roll["status"]),
        "change": change_text(ctx, roll["trend"]), "coverage": ctx.percent(roll["coverage"]),
        "messages": key_messages(ctx, sector),
        "counts": _counts(ctx, [r["status"]["key"] for r in rows], st.STATUSES),
        "objectives": [{"name": names[o["id"]], "score": ctx.percent(o["score"]), "score_v": raw(o["score"]),
                        "status": _status(ctx, o["status"]), "coverage": ctx.percent(o["coverage"]),
                        "coverage_v": raw(o["coverage"])} for o in objectives],
        "indicators": rows,
        "entities": [{"id": e, "name": ctx.entity_name(e)} for e in entities],
        "projects": [{"id": p["id"], "name": ctx.text(by_id[p["id"]].name), "entity": ctx.entity_name(p["entity"]),
                      "schedule": f"{ctx.short_label(by_id[p['id']].start)} – {ctx.short_label(by_id[p['id']].end)}",
                      "planned": ctx.percent(p["planned"]), "planned_v": raw(p["planned"]),
                      "actual": ctx.percent(p["actual"]), "actual_v": raw(p["actual"]),
                      "achievement": ctx.percent(p["achievement"]), "achievement_v": raw(p["achievement"]),
                      "status": _status(ctx, p["status"]),
                      "budget": ctx.percent(p["budget_execution"]), "budget_v": raw(p["budget_execution"])}
                     for p in projects],
        "challenges": [_challenge(ctx, c) for c in challenges],
        "proposals": [{"text": p.text, "evidence": p.evidence} for p in ctx.proposals if p.sector_id == sector.id],
    }


def _challenge(ctx: PackContext, c) -> dict:
    related = ""
    if c.indicator_id:
        related = ctx.text(ctx.plan.indicator_index[c.indicator_id][2].name)
    elif c.project_id:
        related = ctx.text(ctx.plan.project_index[c.project_id][1].name)
    return {"entity": ctx.entity_name(c.entity_id) if c.entity_id else ctx.t("pack.unassigned_entity"),
            "description": c.description, "related": related, "cause": c.cause or "—", "remedy": c.remedy or "—",
            "support": c.support_needed or "—", "severity": ctx.t(f"severity.{c.severity}") if c.severity else "—"}


def _indicator(ctx: PackContext, objective_id: str, objective: str, indicator, result: dict, challenges: list,
               histories: list[tuple[Period, dict[str, IndicatorResult]]]) -> dict:
    history = [(period, found[indicator.id]) for period, found in histories]
    decimals = indicator_decimals(indicator, indicator.baseline, *(v for _, h in history for v in (h.target, h.actual)))
    target, actual = result["target"], result["actual"]
    variance = None if target is None or actual is None else actual - target
    labels = [ctx.short_label(p) for p, _ in history]
    geometry = chart_geometry(labels, [Series(ctx.t("pack.target_label"), [h.target for _, h in history], TARGET_COLOUR, dashed=True),
                                       Series(ctx.t("pack.actual_label"), [h.actual for _, h in history], ACTUAL_COLOUR)],
                              lambda v: ctx.number(v, decimals if abs(v) < 1000 else 0), rtl=ctx.lang == "ar",
                              width=440, height=160)
    own = [c for c in challenges if c.indicator_id == indicator.id]
    entity = [c for c in challenges if c.entity_id == indicator.entity and not c.indicator_id and not c.project_id]
    return {
        "id": indicator.id, "name": ctx.text(indicator.name), "objective": objective, "objective_id": objective_id,
        "entity_id": indicator.entity, "entity": ctx.entity_name(indicator.entity), "unit": ctx.text(indicator.unit),
        "target": ctx.number(target, decimals), "target_v": raw(target),
        "actual": ctx.number(actual, decimals), "actual_v": raw(actual),
        "variance": format_points(variance, decimals, ctx.lang, ctx.digits), "variance_v": raw(variance),
        "achievement": ctx.percent(result["achievement"]), "achievement_v": raw(result["achievement"]),
        "status": _status(ctx, result["status"]),
        "trend": ctx.trend_text(result["trend"]), "trend_v": raw(result["trend"]),
        # Drawn by the page's script when the row is opened (see SERIES_DOC): 600 indicators'
        # charts and histories written out in full would be most of the file.
        "series": {"g": geometry, "h": [[ctx.number(h.target, decimals), ctx.number(h.actual, decimals),
                                         ctx.percent(h.achievement), h.status] for _, h in history]},
        "challenges": [_challenge(ctx, c) for c in own + entity],
    }


def _register(ctx: PackContext) -> dict:
    plan = ctx.plan
    items = []
    for item in ctx.register:
        key = "overdue" if item.overdue else item.status
        items.append({"id": item.id, "text": item.text, "overdue": item.overdue, "status_key": key,
                      "chip": st.OFF_TRACK if item.overdue else REGISTER_COLOURS[item.status],
                      "status": ctx.t(f"recommendation_status.{key}"),
                      "sector": ctx.text(plan.sector_by_id[item.sector_id].name) if item.sector_id in plan.sector_by_id else "—",
                      "owner": ctx.entity_name(item.owner_entity) if item.owner_entity else "—",
                      "adopted": ctx.short_label(item.adopted),
                      "due": ctx.short_label(item.due_period) if item.due_period else "—", "note": item.note or "—"})
    overdue = sum(1 for i in items if i["overdue"])
    return {"items": items, "overdue": overdue, "overdue_text": ctx.t("dashboard.overdue_count", count=ctx.number(overdue))}


def _completeness(ctx: PackContext, entities: list[dict]) -> dict:
    results = {e.id: e for e in ctx.result.entities}
    # Timeliness (when the data arrived, how late) is shown once results.json carries it.
    timely = any(isinstance(e.get("received"), str) or isinstance(e.get("days_late"), (int, float)) for e in entities)
    rows = []
    for e in entities:
        entity, counted = ctx.plan.entity_by_id[e["id"]], results[e["id"]]
        value = e["completeness"]
        key = st.NO_DATA if value is None else (st.ON_TRACK if value >= 100 else st.AT_RISK if value >= 50 else st.OFF_TRACK)
        received, late = e.get("received"), e.get("days_late")
        rows.append({"id": e["id"], "name": ctx.text(entity.name), "focal_point": entity.focal_point or "—",
                     "expected": ctx.number(counted.expected), "received": ctx.number(counted.received),
                     "completeness": ctx.percent(value), "completeness_v": raw(value), "key": key,
                     "received_on": ctx.digits_of(str(received)) if isinstance(received, str) else "—",
                     "days_late": ctx.number(late) if isinstance(late, (int, float)) else "—",
                     "days_late_v": raw(late) if isinstance(late, (int, float)) else ""})
    return {"rows": rows, "timely": timely}


# -- the plan's page across the quarters ----------------------------------------------------------

def across_page(ctx: PackContext, periods: Sequence[tuple[Period, str, str, dict]]) -> dict:
    """Return the values of the plan's dashboard across the quarters: for each period with a
    revision, ``(period, revision name, issue date ISO, results.json document)``, oldest first.

    Names come from ``ctx.plan`` (an id the plan no longer has is shown as is); every number from
    the documents.
    """
    plan = ctx.plan
    page = _header(ctx, ctx.t("dashboard.across_title"))
    labels = [ctx.short_label(p) for p, _, _, _ in periods]
    sector_name = {s.id: ctx.text(s.name) for s in plan.sectors}
    indicator_name = {i.id: ctx.text(i.name) for _, _, i in plan.indicators()}
    page["periods"] = [{"period": ctx.digits_of(str(p)), "label": label, "long": ctx.digits_of(_period_label(ctx, p)),
                        "revision": ctx.digits_of(revision),
                        "issued": format_date(dt.date.fromisoformat(issued), ctx.lang, ctx.digits) if issued else "—",
                        "score": ctx.percent(doc["plan_score"]), "score_v": raw(doc["plan_score"]),
                        "counts": _counts(ctx, [i["status"] for i in doc["indicators"]], st.STATUSES)}
                       for label, (p, revision, issued, doc) in zip(labels, periods)]
    title = ctx.t("dashboard.plan_trend")
    page["chart"] = line_chart(labels, [Series(ctx.text(plan.title), [d["plan_score"] for *_, d in periods], "#1F4E79")],
                               lambda v: ctx.percent(v, 0), title, rtl=ctx.lang == "ar", bands=_bands(ctx))
    page["chart_title"] = title
    sector_ids = list(dict.fromkeys(s["id"] for *_, d in periods for s in d["sectors"]))
    cells: dict[str, list] = defaultdict(list)
    for *_, doc in periods:
        found = {s["id"]: s for s in doc["sectors"]}
        for sid in sector_ids:
            s = found.get(sid)
            cells[sid].append(None if s is None else {"score": ctx.percent(s["score"]), "score_v": raw(s["score"]),
                                                     **_status(ctx, s["status"])})
    page["sectors"] = []
    for sid in sector_ids:
        rows: dict[str, dict] = {}
        for index, (*_, doc) in enumerate(periods):
            for i in doc["indicators"]:
                if i["sector"] == sid:
                    row = rows.setdefault(i["id"], {"id": i["id"], "name": indicator_name.get(i["id"], i["id"]),
                                                    "cells": [None] * len(periods)})
                    row["cells"][index] = {"achievement": ctx.percent(i["achievement"]),
                                           "achievement_v": raw(i["achievement"]), **_status(ctx, i["status"])}
        page["sectors"].append({"id": sid, "name": sector_name.get(sid, sid), "cells": cells[sid],
                                "indicators": list(rows.values())})
    return page


def _period_label(ctx: PackContext, period: Period) -> str:
    return period_label(period, ctx.plan.calendar, ctx.lang)


def render_across(ctx: PackContext, periods: Sequence[tuple[Period, str, str, dict]]) -> bytes:
    """Return the plan's ``dashboard.html`` across the quarters (UTF-8 bytes): see :func:`across_page`."""
    return render_page("across.html.j2", across_page(ctx, periods))


def wording_context(plan: Plan, phrases) -> PackContext:
    """Return a context that words numbers, dates and statuses for ``plan`` (no period's results:
    enough for :func:`render_across`)."""
    return PackContext(plan, DataSet({}), [], phrases, dt.date(1970, 1, 1))
