"""``results.json`` — the machine contract of SPEC §5.3 — built from a period's evaluation."""

from __future__ import annotations

import datetime as dt
import json

from review.evaluate import PeriodResult


def results_document(plan_id: str, result: PeriodResult) -> dict:
    """Return the results as the §5.3 structure: exactly its keys (entities also ``received``, the
    first accepted receipt's UTC time, and ``days_late``), numbers unrounded, None → null."""
    return {
        "plan": plan_id,
        "period": str(result.period),
        "plan_score": result.plan.score,
        "sectors": [{"id": s.id, "score": s.score, "status": s.status, "coverage": s.coverage,
                     "trend": s.trend} for s in result.sectors],
        "objectives": [{"id": o.id, "sector": o.sector, "score": o.score, "status": o.status,
                        "coverage": o.coverage} for o in result.objectives],
        "indicators": [{"id": i.id, "sector": i.sector, "objective": i.objective, "entity": i.entity,
                        "target": i.target, "actual": i.actual, "achievement": i.achievement,
                        "score": i.score, "status": i.status, "trend": i.trend}
                       for i in result.indicators],
        "projects": [{"id": p.id, "sector": p.sector, "entity": p.entity, "planned": p.planned,
                      "actual": p.actual, "achievement": p.achievement, "status": p.status,
                      "budget_execution": p.budget_execution} for p in result.projects],
        # §5.3 extended (issue 17): when the first accepted receipt came (UTC, ISO) and days late.
        "entities": [{"id": e.id, "completeness": e.completeness,
                      "received": _utc(e.received_at), "days_late": e.days_late} for e in result.entities],
    }


def _utc(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def results_json(plan_id: str, result: PeriodResult) -> bytes:
    """Return ``results.json`` as UTF-8 bytes (Arabic kept readable, stable key order, newline at end)."""
    text = json.dumps(results_document(plan_id, result), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")
