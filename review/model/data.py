"""The data value types: what the entities reported for each period, located in its files.

Plain values, filled by :mod:`review.intake` and read by every later stage; nothing here reads a
file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from review.errors import Location, Problem, display_path
from review.model.periods import Period


@dataclass(frozen=True)
class Origin:
    """Where a row came from: file and location as the user sees it."""

    file: Path
    where: Location

    def __str__(self) -> str:
        return f"{display_path(self.file)} ({self.where})"


@dataclass(frozen=True)
class Reported:
    """An indicator's value reported for a period."""

    value: float
    note: str
    source: str
    origin: Origin


@dataclass(frozen=True)
class ProjectReport:
    """A project's cumulative progress (%) and spending reported for a period."""

    progress: float
    spent: float | None
    note: str
    origin: Origin


@dataclass(frozen=True)
class Challenge:
    """A challenge an entity reported: what, why (cause), what to do (remedy), help needed."""

    sector_id: str
    description: str
    entity_id: str
    indicator_id: str
    project_id: str
    category: str
    cause: str
    remedy: str
    severity: str
    support_needed: str
    origin: Origin
    #: The entity's reply to the previous quarter's findings (الرد التوضيحي), "" for none.
    reply: str = ""


@dataclass(frozen=True)
class RecommendationRow:
    """A row of ``recommendations.*``: an adoption (with text) and/or a status update."""

    id: str
    text: str
    status: str
    sector_id: str
    owner_entity: str
    due_period: Period | None
    note: str
    period: Period
    origin: Origin


ACCEPTED, REFUSED = "accepted", "refused"


@dataclass(frozen=True)
class Receipt:
    """One line of a period's receipt log (``review receive``): a file received, accepted or refused."""

    #: When it was received, in UTC.
    received: dt.datetime
    entity: str
    #: The name it was filed under (accepted) or sent as (refused).
    file: str
    sha256: str
    #: Data rows read from it.
    rows: int
    #: ``accepted`` or ``refused``.
    result: str
    reason: str = ""


@dataclass
class PeriodData:
    """Everything reported for one period."""

    period: Period
    folder: Path
    indicators: dict[str, Reported] = field(default_factory=dict)
    projects: dict[str, ProjectReport] = field(default_factory=dict)
    challenges: list[Challenge] = field(default_factory=list)
    recommendations: list[RecommendationRow] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: The receipt log's lines, oldest first (``review receive``).
    receipts: list[Receipt] = field(default_factory=list)
    #: The deadline recorded with the period by ``review forms --deadline`` (Gregorian), if any.
    deadline: dt.date | None = None


@dataclass
class DataSet:
    """All periods' data of a plan, oldest first, and the warnings met while reading it."""

    periods: dict[Period, PeriodData]
    warnings: list[Problem] = field(default_factory=list)
    #: What each period's reading was found by in the build's cache (a SHA-256 of the plan and of
    #: the folder's files), when it was read through one; a period missing here has no such key.
    keys: dict[Period, str] = field(default_factory=dict)

    def value(self, indicator_id: str, period: Period) -> float | None:
        """Return the value reported for an indicator in a period, or None when not reported."""
        data = self.periods.get(period)
        reported = data.indicators.get(indicator_id) if data else None
        return reported.value if reported else None

    def project(self, project_id: str, period: Period) -> ProjectReport | None:
        """Return a project's report for a period, or None when not reported."""
        data = self.periods.get(period)
        return data.projects.get(project_id) if data else None

    def get(self, period: Period) -> PeriodData:
        """Return the period's data, empty when nothing was sent for it."""
        return self.periods.get(period) or PeriodData(period, Path())
