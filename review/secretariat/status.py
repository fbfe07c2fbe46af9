"""``review status``: who has sent what for a period (issue 6, submission tracking).

Per entity: focal point, indicators and projects expected and received, challenges reported and
the files they came from; entities that sent nothing come first. The period's folder is read like
``validate`` reads it, but its problems (a conflicting value, a form for another period) are
listed under the table instead of hiding it: the secretariat needs both to chase submissions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from review.archive.revisions import replace_file
from review.evaluate import (LATE, NOT_RECEIVED, ON_TIME, RECEIVED, UNKNOWN_TIME, days_overdue,
                             timeliness_of)
from review.model.data import ACCEPTED
from review.model.layout import DEADLINE_FILE
from review.secretariat.receive import utc_now
from review.errors import UsageError, display_path, format_problems
from review.intake.data import read_period
from review.model.data import PeriodData
from review.model.layout import DATA_DIR
from review.model.periods import Period, check_year, period_label
from review.language.phrases import Phrases, load_phrases
from review.model.plan import Entity, Plan
from review.intake.plan import load_plan
from review.office.package import source_date_time
from review.office.xlsx import MemoryWorkbook
from review.secretariat.workbook import add_report_sheet

NOTHING, PARTIAL, COMPLETE = "nothing", "partial", "complete"
STATE_TEXT = {NOTHING: "sent nothing", PARTIAL: "partial", COMPLETE: "complete"}
_ORDER = {NOTHING: 0, PARTIAL: 1, COMPLETE: 2}


@dataclass
class Submission:
    """What one entity has sent for a period."""

    entity: Entity
    indicators_expected: int = 0
    indicators_received: int = 0
    projects_expected: int = 0
    projects_received: int = 0
    challenges: int = 0
    files: list[Path] = field(default_factory=list)
    #: First accepted receipt (UTC), None when none was logged.
    received_at: dt.datetime | None = None
    #: Days after the deadline it came; None when not received, time unknown or no deadline.
    days_late: int | None = None
    #: ``evaluate.ON_TIME``, ``LATE``, ``NOT_RECEIVED``, ``RECEIVED`` or ``UNKNOWN_TIME``.
    timeliness: str = NOT_RECEIVED

    @property
    def state(self) -> str:
        """Return ``nothing`` (no value, no challenge), ``complete`` (every value) or ``partial``."""
        received = self.indicators_received + self.projects_received
        if received == 0 and self.challenges == 0:
            return NOTHING
        if received == self.indicators_expected + self.projects_expected:
            return COMPLETE
        return PARTIAL


def collect_submissions(plan: Plan, data: PeriodData) -> list[Submission]:
    """Return one Submission per entity: nothing-sent first, then partial, then complete (plan order within)."""
    rows = {e.id: Submission(e) for e in plan.entities}

    def came_from(entity_id: str, file: Path) -> None:
        if file not in rows[entity_id].files:
            rows[entity_id].files.append(file)

    for _, _, indicator in plan.indicators():
        row = rows[indicator.entity]
        row.indicators_expected += 1
        reported = data.indicators.get(indicator.id)
        if reported is not None:
            row.indicators_received += 1
            came_from(indicator.entity, reported.origin.file)
    for _, project in plan.projects():
        row = rows[project.entity]
        row.projects_expected += 1
        report = data.projects.get(project.id)
        if report is not None:
            row.projects_received += 1
            came_from(project.entity, report.origin.file)
    for challenge in data.challenges:
        if challenge.entity_id in rows:
            rows[challenge.entity_id].challenges += 1
            came_from(challenge.entity_id, challenge.origin.file)
    first: dict[str, dt.datetime] = {}
    for receipt in sorted(data.receipts, key=lambda r: r.received):
        if receipt.result == ACCEPTED and receipt.entity:
            first.setdefault(receipt.entity, receipt.received)
    deadline = plan.deadline(data.period) or data.deadline
    for row in rows.values():
        row.files.sort(key=lambda p: p.name)
        row.received_at, row.days_late, row.timeliness = timeliness_of(
            first.get(row.entity.id), row.state != NOTHING, deadline)
    order = {e.id: n for n, e in enumerate(plan.entities)}
    return sorted(rows.values(), key=lambda r: (_ORDER[r.state], order[r.entity.id]))


def timeliness_text(row: Submission, deadline: dt.date | None, now: dt.datetime) -> str:
    """Return an entity's timeliness in words: ``received 2023-08-05 09:30 UTC, 2 day(s) late``."""
    when = f"received {row.received_at:%Y-%m-%d %H:%M} UTC" if row.received_at else ""
    if row.timeliness == LATE:
        return f"{when}, {row.days_late} day(s) late"
    if row.timeliness == ON_TIME:
        return f"{when}, on time"
    if row.timeliness == RECEIVED:
        return when
    if row.timeliness == UNKNOWN_TIME:
        return "received, time unknown (placed in the folder by hand, no receipt)"
    overdue = days_overdue(deadline, now)
    return f"not received, {overdue} day(s) past the deadline" if overdue else "not received"


def status_table(plan: Plan, period: Period, data: PeriodData, folder: Path, problems: list,
                 now: dt.datetime | None = None) -> str:
    """Return the plain-text status report: one line per entity, its files, a summary, problems.

    When the period has a deadline or a receipt log, each entity also gets its timeliness,
    judged at ``now`` (UTC; default the current time) for those not received.
    """
    rows = collect_submissions(plan, data)
    now = now or utc_now()
    deadline = plan.deadline(period) or data.deadline
    timed = deadline is not None or bool(data.receipts)
    lang = plan.language
    width = max(len(e.id) for e in plan.entities)
    where = display_path(folder) if folder.is_dir() else f"{display_path(folder)} (no folder yet)"
    lines = [f"Submissions for {period} ({period_label(period, plan.calendar, 'en')}) — {where}",
             f"  {'entity':<{width}}  {'status':<12}  indicators  projects  challenges  name — focal point"]
    for row in rows:
        focal = row.entity.focal_point or "no focal point"
        lines.append(f"  {row.entity.id:<{width}}  {STATE_TEXT[row.state]:<12}  "
                     f"{f'{row.indicators_received}/{row.indicators_expected}':>10}  "
                     f"{f'{row.projects_received}/{row.projects_expected}':>8}  {row.challenges:>10}  "
                     f"{row.entity.name.get(lang)} — {focal}")
        if row.files:
            lines.append(f"  {'':<{width}}  files: {', '.join(p.name for p in row.files)}")
        if timed:
            lines.append(f"  {'':<{width}}  {timeliness_text(row, deadline, now)}")
    counts = {state: sum(r.state == state for r in rows) for state in _ORDER}
    lines.append(f"{counts[COMPLETE]} of {len(rows)} entities complete, {counts[PARTIAL]} partial, "
                 f"{counts[NOTHING]} sent nothing.")
    if timed:
        late = [r.entity.id for r in rows if r.timeliness == LATE]
        missing = [r.entity.id for r in rows if r.timeliness == NOT_RECEIVED]
        source = "the plan" if plan.deadline(period) else f"{display_path(folder / DEADLINE_FILE)}"
        lines.append(f"Deadline {deadline.isoformat()} (from {source}): " if deadline else "No deadline set: ")
        lines[-1] += (f"{len(late)} late ({', '.join(late) or 'none'}), "
                      f"{len(missing)} not received ({', '.join(missing) or 'none'}).")
    used = {p for r in rows for p in r.files}
    unused = [p for p in data.files if p not in used]
    if unused:
        lines.append(f"Other files read (no entity's values): {', '.join(p.name for p in unused)}")
    if problems:
        errors = sum(p.is_error for p in problems)
        lines.append("")
        lines.append(f"Problems in the submissions ({errors} error(s); their rows are not counted above):")
        lines.extend(line for line in format_problems(problems).splitlines() if not line.startswith("Stopped:"))
    return "\n".join(lines)


def status_workbook(plan: Plan, period: Period, data: PeriodData, phrases: Phrases) -> bytes:
    """Return ``status.xlsx``: the status table as one right-to-left sheet (deterministic bytes)."""
    t, lang = phrases, phrases.lang
    rows = collect_submissions(plan, data)
    label = period_label(period, plan.calendar, lang)
    book = MemoryWorkbook(t("status_report.title", period=label), dt.datetime(*source_date_time()))
    headers = [t(f"status_report.{key}") for key in
               ("entity_id", "entity", "focal_point", "state", "indicators", "indicators_expected",
                "projects", "projects_expected", "challenges", "files")]
    headers += [t("timeliness.column"), t("receive.received_at")]
    add_report_sheet(book, t("status_report.sheet"), headers,
              [(r.entity.id, r.entity.name.get(lang), r.entity.focal_point or "", t(f"status_report.{r.state}"),
                r.indicators_received, r.indicators_expected, r.projects_received, r.projects_expected,
                r.challenges, "، ".join(p.name for p in r.files) if lang == "ar" else ", ".join(p.name for p in r.files),
                t(f"timeliness.{r.timeliness}", days=r.days_late),
                f"{r.received_at:%Y-%m-%d %H:%M} UTC" if r.received_at else "")
               for r in rows],
              rtl=lang == "ar", widths=(12, 40, 28, 16, 14, 14, 14, 14, 14, 40, 24, 20))
    return book.to_bytes()


def check_writable(path: Path) -> None:
    """Return None when ``path`` can be written as a file as far as can be told before writing;
    raise UsageError naming it when it is a folder or lies below something that is not a folder."""
    if path.is_dir():
        raise UsageError(f"{display_path(path)}: --xlsx: is a folder (expected the name of the .xlsx "
                         f"file to write, e.g. {display_path(path / 'status.xlsx')})")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{display_path(path)}: --xlsx: {display_path(parent)} is not a folder "
                                 "(expected the name of the .xlsx file to write)")
            break


def submission_report(plan_dir: Path, period: Period, xlsx_path: Path | None = None,
                      reminders_dir: Path | None = None, now: dt.datetime | None = None) -> str:
    """Return the status report of ``period``; also write it to ``xlsx_path`` when given, and a
    reminder letter per late or incomplete entity into ``reminders_dir`` when given.

    ``now`` (UTC; default the current time) is when not-received entities are judged overdue.

    A missing data folder is not an error: every entity has sent nothing. Problems of the
    period's files are listed in the report, not raised. Raises InputError for an invalid plan
    and UsageError for a period outside the plan's calendar or an ``xlsx_path`` that cannot be
    written (a folder, below a file, not permitted) — checked before anything is read.
    """
    if xlsx_path is not None:
        check_writable(Path(xlsx_path))
    if reminders_dir is not None and Path(reminders_dir).exists() and not Path(reminders_dir).is_dir():
        raise UsageError(f"{display_path(reminders_dir)}: --reminders: not a folder "
                         "(expected the folder to write the reminder letters into)")
    now = now or utc_now()
    plan = load_plan(plan_dir)
    try:
        check_year(period.year, plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {plan.calendar})")
    folder = Path(plan_dir) / DATA_DIR / str(period)
    if folder.is_dir():
        data, problems = read_period(plan, period, folder)
    else:
        data, problems = PeriodData(period, folder), []
    report = status_table(plan, period, data, folder, problems, now)
    if xlsx_path is not None:
        workbook = status_workbook(plan, period, data, load_phrases(lang=plan.language))
        try:
            replace_file(Path(xlsx_path), workbook)
        except OSError as exc:
            raise UsageError(f"{display_path(xlsx_path)}: --xlsx: cannot be written: {exc.strerror or exc} "
                             "(expected a file name in a folder you may write to)") from None
        report += f"\nWrote {display_path(xlsx_path)}"
    if reminders_dir is not None:
        from review.secretariat.reminders import write_reminders
        incomplete = [(r.entity, r.state == NOTHING) for r in collect_submissions(plan, data) if r.state != COMPLETE]
        written = write_reminders(plan, period, data, incomplete, Path(reminders_dir), now)
        report += (f"\nWrote {len(written)} reminder letter(s) to {display_path(reminders_dir)}: "
                   f"{', '.join(p.name for p in written)} (nothing was sent)" if written
                   else "\nNo reminder needed: every entity sent all its figures.")
    return report
