"""``review recommendations``: the register of adopted recommendations as of a period (SPEC §4.6).

Reads ``recommendations.*`` of every period up to P, applies the status updates by id, flags the
overdue ones and prints the register; writes ``OUT/<plan-id>/<P>/recommendations.xlsx`` (register
and status history, right to left) for the secretariat.

Unlike a briefing pack, which follows up the recommendations adopted *before* P, the secretariat's
register as of P also lists those adopted at P's own workshop (recorded in P's folder): it is the
list they send to the owners after the workshop.

The workbook is written alone, atomically, into the period's output folder; the rest of that
folder (a build's packs) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from review.model import status as st
from review.archive.revisions import check_out_root, period_folder, replace_file
from review.pipeline.build import check_period, load, resolve_issue_date
from review.errors import Location, display_path
from review.language.formats import localize_digits
from review.model.data import DataSet
from review.model.periods import Period, period_label, period_short_label, quarter_dates
from review.language.phrases import Phrases, load_phrases
from review.model.plan import Plan
from review.recommend.register import CLOSED, DONE, DROPPED, IN_PROGRESS, NOT_STARTED, Recommendation, build_register
from review.office.xlsx import MemoryWorkbook
from review.secretariat.workbook import add_report_sheet

FILE_NAME = "recommendations.xlsx"
#: Fill of each recommendation status, in the status colours of the packs.
# The packs' palette (model/status.py): done is completed, in progress on track, overdue past its date.
STATUS_FILLS = {key: st.RECOMMENDATION_COLOURS[key] for key in (DONE, IN_PROGRESS, NOT_STARTED, DROPPED)}

Progress = Callable[[str], None]


def register_as_of(data: DataSet, period: Period) -> list[Recommendation]:
    """Return every recommendation adopted up to and including ``period``, with its status as of ``period``.

    Ordered by adoption period, then id. Overdue: due period before ``period``, neither done nor dropped.
    """
    upto = {p: d for p, d in data.periods.items() if p <= period}
    # build_register lists those adopted *before* its period; asking for the next one takes in
    # P's own adoptions while only P's and earlier rows are given. Overdue is then restated for P.
    items = build_register(upto, period.next())
    for item in items:
        item.overdue = item.due_period is not None and item.due_period < period and item.status not in CLOSED
    return items


def _source(origin_file: Path, where: Location, plan_dir: Path) -> str:
    # Relative to the plan folder, so the workbook's bytes do not depend on where it was run from.
    try:
        name = Path(os.path.relpath(Path(origin_file).resolve(), Path(plan_dir).resolve())).as_posix()
    except ValueError:  # another drive on Windows
        name = Path(origin_file).name
    return f"{name} ({where})"


def history_rows(data: DataSet, items: list[Recommendation], period: Period, plan_dir: Path) -> list[tuple]:
    """Return (id, period, status, note, source) per adoption and status update up to ``period``, by id then time.

    ``status`` is ``adopted`` for the adoption row, else the status key.
    """
    wanted = {item.id: n for n, item in enumerate(items)}
    rows, adopted = [], set()
    for when in sorted(p for p in data.periods if p <= period):
        for row in data.periods[when].recommendations:
            if row.id not in wanted:
                continue
            source = _source(row.origin.file, row.origin.where, plan_dir)
            if row.text and row.id not in adopted:
                adopted.add(row.id)
                rows.append((row.id, when, "adopted", row.note if not row.status else "", source))
            if row.status:
                rows.append((row.id, when, row.status, row.note, source))
    return sorted(rows, key=lambda r: wanted[r[0]])  # stable: each id's rows stay in time order


def last_update(item: Recommendation) -> Period | None:
    """Return the period of the item's latest status update, or None before any."""
    return item.history[-1].period if item.history else None


def register_table(plan: Plan, items: list[Recommendation], period: Period) -> str:
    """Return the register as plain text: one line per recommendation, then the counts."""
    lines = [f"Recommendations register as of {period} ({period_label(period, plan.calendar, 'en')}): "
             f"{len(items)} adopted up to this period"]
    if not items:
        lines.append("  none recorded yet (recommendations.csv in a period's data folder)")
    else:
        columns = [("id", [i.id for i in items]), ("sector", [i.sector_id or "—" for i in items]),
                   ("owner", [i.owner_entity or "—" for i in items]), ("adopted", [str(i.adopted) for i in items]),
                   ("due", [str(i.due_period) if i.due_period else "—" for i in items]),
                   ("status", [i.status for i in items]), ("overdue", ["OVERDUE" if i.overdue else "" for i in items])]
        widths = [max(len(name), *(len(v) for v in values)) for name, values in columns]
        lines.append("  " + "  ".join(f"{name:<{w}}" for (name, _), w in zip(columns, widths)) + "  last note")
        for n, item in enumerate(items):
            cells = "  ".join(f"{values[n]:<{w}}" for (_, values), w in zip(columns, widths))
            lines.append(f"  {cells}  {item.note or '—'}")
            lines.append(f"  {'':<{widths[0]}}  {item.text}")
    counts = {"open": sum(i.status not in CLOSED for i in items), "done": sum(i.status == DONE for i in items),
              "dropped": sum(i.status == DROPPED for i in items), "overdue": sum(i.overdue for i in items)}
    lines.append(f"{counts['open']} open, {counts['done']} done, {counts['dropped']} dropped; "
                 f"{counts['overdue']} overdue.")
    return "\n".join(lines)


def register_workbook(plan: Plan, data: DataSet, items: list[Recommendation], period: Period,
                      phrases: Phrases, issue_time: dt.datetime, plan_dir: Path) -> bytes:
    """Return ``recommendations.xlsx``: the register (status fills, overdue in red) and the status history."""
    t, lang = phrases, phrases.lang
    rtl = lang == "ar"
    digits = plan.digits if lang == "ar" else "latin"

    def short(p: Period | None) -> str:
        return localize_digits(period_short_label(p, plan.calendar, lang), digits) if p else "—"

    def name(value, ident: str) -> str:
        return value.name.get(lang) if value is not None else (ident or "—")

    label = localize_digits(period_label(period, plan.calendar, lang), digits)
    book = MemoryWorkbook(t("register.title", period=label), issue_time)
    headers = [t(f"register.{key}") for key in
               ("id", "text", "sector", "owner", "adopted", "due", "status", "overdue", "last_update", "note")]
    rows = [(i.id, i.text, name(plan.sector_by_id.get(i.sector_id), i.sector_id),
             name(plan.entity_by_id.get(i.owner_entity), i.owner_entity), short(i.adopted), short(i.due_period),
             t(f"recommendation_status.{i.status}"), t("register.overdue_yes") if i.overdue else "",
             short(last_update(i)), i.note) for i in items]
    # The status cell takes the status colour; an overdue mark, the past-deadline red.
    marks = {(n, 6): STATUS_FILLS[i.status] for n, i in enumerate(items)}
    marks |= {(n, 7): st.DELAYED for n, i in enumerate(items) if i.overdue}
    add_report_sheet(book, t("register.sheet"), headers, rows, rtl, marks, widths=(14, 60, 18, 30, 14, 14, 16, 16, 14, 50))

    changes = history_rows(data, items, period, plan_dir)
    status_text = {key: t(f"recommendation_status.{key}") for key in STATUS_FILLS} | {"adopted": t("register.adopted_event")}
    fills = {**STATUS_FILLS, "adopted": st.NO_DATA}  # adopted: not started yet
    add_report_sheet(book, t("register.history_sheet"),
              [t(f"register.{key}") for key in ("id", "period", "status", "change_note", "source")],
              [(ident, short(when), status_text[key], note, source) for ident, when, key, note, source in changes],
              rtl, {(n, 2): fills[key] for n, (_, _, key, _, _) in enumerate(changes)}, widths=(14, 14, 18, 60, 50))
    return book.to_bytes()


def issue_time(plan: Plan, period: Period) -> dt.datetime:
    """Return the workbook's date: ``SOURCE_DATE_EPOCH``'s day when set, else the period's last day (never the clock)."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        day = resolve_issue_date(None)
    else:
        day = quarter_dates(period, plan.calendar)[1]
    return dt.datetime.combine(day, dt.time())


def recommendations_report(plan_dir: Path, period: Period, out_root: Path = Path("output"),
                           progress: Progress = lambda message: None) -> str:
    """Return the printed register as of ``period`` and write ``recommendations.xlsx`` for it.

    Raises InputError (invalid plan or data, no data folder for the period) or UsageError (a
    period outside the plan's calendar, an ``out_root`` that cannot be a folder); nothing is
    written then.
    """
    check_out_root(out_root)
    progress(f"Reading the plan and data of {plan_dir}")
    loaded = load(Path(plan_dir))
    check_period(loaded, period, plan_dir)
    for warning in loaded.data.warnings:
        progress(str(warning))
    plan = loaded.plan
    items = register_as_of(loaded.data, period)
    phrases = load_phrases(lang=plan.language)
    content = register_workbook(plan, loaded.data, items, period, phrases, issue_time(plan, period), Path(plan_dir))
    target = period_folder(out_root, plan.id, period) / FILE_NAME
    progress(f"Writing {display_path(target)}")
    replace_file(target, content)
    return register_table(plan, items, period) + f"\nWrote {display_path(target)}"
