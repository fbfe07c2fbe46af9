"""The register of adopted recommendations (SPEC §4.6), built from every period's rows.

A row with text adopts a recommendation in the period whose folder holds it; a row with a status
updates it (one row may do both). The register for period P lists every recommendation adopted
before P with its latest status up to and including P (``not_started`` until a first update);
it is *overdue* when its due period is before P and it is neither done nor dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from review.model.data import PeriodData, RecommendationRow
from review.model.periods import Period

NOT_STARTED, IN_PROGRESS, DONE, DROPPED = "not_started", "in_progress", "done", "dropped"
CLOSED = (DONE, DROPPED)


@dataclass(frozen=True)
class StatusChange:
    """One status update: when, to what, with which note, from which row."""

    period: Period
    status: str
    note: str
    origin: str


@dataclass
class Recommendation:
    """An adopted recommendation with its follow-up as of a period."""

    id: str
    text: str
    sector_id: str
    owner_entity: str
    due_period: Period | None
    adopted: Period
    status: str = NOT_STARTED
    note: str = ""
    overdue: bool = False
    history: list[StatusChange] = field(default_factory=list)


def _rows(periods: dict[Period, PeriodData]) -> list[RecommendationRow]:
    return [row for period in sorted(periods) for row in periods[period].recommendations]


def build_register(periods: dict[Period, PeriodData], period: Period,
                   sector_id: str | None = None) -> list[Recommendation]:
    """Return the recommendations adopted before ``period`` with their status as of ``period``.

    Ordered by adoption period, then id. ``sector_id`` keeps only that sector's items.
    """
    register: dict[str, Recommendation] = {}
    for row in _rows(periods):
        if row.period > period:
            break
        if row.text and row.id not in register:
            register[row.id] = Recommendation(row.id, row.text, row.sector_id, row.owner_entity,
                                              row.due_period, row.period)
        item = register.get(row.id)
        if item is None:
            continue
        if row.status:
            item.status, item.note = row.status, row.note or item.note
            item.history.append(StatusChange(row.period, row.status, row.note, str(row.origin)))
        elif row.note and not row.text:
            item.note = row.note
    items = [r for r in register.values() if r.adopted < period
             and (sector_id is None or r.sector_id == sector_id)]
    for item in items:
        item.overdue = (item.due_period is not None and item.due_period < period
                        and item.status not in CLOSED)
    return sorted(items, key=lambda r: (r.adopted, r.id))
