"""``review receive``: check a returned form or data file at once, file it, log when it came (SPEC §3.4).

Each file is checked alone against the plan with the same readers and checks as ``validate``,
then beside the files already in force for the period (a value that contradicts another file is
refused). A valid file is copied into ``data/<period>/`` under its canonical name — ``form-<entity>.xlsx``
for a filled form, ``<kind>-<entity>.<suffix>`` for one kind of one entity, ``<kind>.<suffix>``
for rows of several entities — and the file it replaces is kept as
``data/<period>/superseded/<name>.<n>`` (n = 1, 2, …), never overwritten. Every file, accepted or
refused, gets one line in the append-only ``data/<period>/receipts.csv``.

Durability: the whole receipt is one ``os.write`` of a complete line followed by ``fsync``, made
under the period's lock file (``data/<period>/.receipts.lock``), so two receives at once never
interleave; a line cut short by a crash is ignored by the reader and the next line starts fresh.
A file is filed before its receipt is written: a crash between the two leaves a filed file with
no receipt, which counts as placed by hand (time unknown), never a receipt for a missing file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from review.archive.revisions import replace_file
from review.errors import WHOLE_FILE, Problem, UsageError, display_path, format_problems
from review.intake.data import check_form_metadata, read_period
from review.intake.plan import load_plan
from review.intake.readers import FORM_COVER, KINDS, READERS, data_files, read_file
from review.intake.receipts import header_line, read_receipts, receipt_line
from review.language.formats import format_date, localize_digits
from review.language.phrases import Phrases, load_phrases
from review.model.data import ACCEPTED, REFUSED, PeriodData, Receipt
from review.model.layout import DATA_DIR, RECEIPTS_FILE, SUPERSEDED_DIR
from review.model.periods import Period, check_year, period_label
from review.model.plan import Plan
from review.pause import pause_at
from review.secretariat.letters import write_letter

#: The period's lock file, held while a file is filed and its receipt written.
LOCK_FILE = ".receipts.lock"
#: Seconds to wait for another receive of the same period.
LOCK_TIMEOUT = 60.0

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """Return the current time in UTC (the default clock of receive and status)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass
class Outcome:
    """What became of one received file."""

    source: Path
    receipt: Receipt
    problems: list[Problem] = field(default_factory=list)
    #: Where it was filed (accepted), None when refused.
    filed: Path | None = None
    #: Where the file it replaced was kept, when it replaced one.
    superseded: Path | None = None

    @property
    def accepted(self) -> bool:
        """Return True when the file was filed."""
        return self.receipt.result == ACCEPTED


def canonical_name(kinds: Sequence[str], entity: str, suffix: str, form: bool) -> str:
    """Return the name a valid file is filed under: ``form-MOH.xlsx`` (a filled form, or a workbook
    of several kinds), ``indicators-MOH.csv`` (one kind of one entity), ``challenges.csv`` (rows
    of several entities, or none: the secretariat's own files)."""
    tail = f"-{entity}" if entity else ""
    if form or len(set(kinds)) != 1:
        return f"form{tail}{suffix}"
    return f"{kinds[0]}{tail}{suffix}"


def entity_of(plan: Plan, data: PeriodData, form_entity: str | None) -> str:
    """Return the entity a file's rows belong to: the form's, else the one entity of every
    indicator, project and challenge it holds; empty when none or several."""
    if form_entity:
        return form_entity
    owners = {plan.indicator_index[i][2].entity for i in data.indicators}
    owners |= {plan.project_index[p][1].entity for p in data.projects}
    owners |= {c.entity_id for c in data.challenges if c.entity_id}
    return owners.pop() if len(owners) == 1 else ""


def rows_read(data: PeriodData) -> int:
    """Return the data rows read from a period's files (indicators, projects, challenges, recommendations)."""
    return len(data.indicators) + len(data.projects) + len(data.challenges) + len(data.recommendations)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def append_receipt(folder: Path, receipt: Receipt) -> None:
    """Append one receipt to ``folder/receipts.csv`` as one complete line (one write, then fsync).

    Call with the period's lock held. A log whose last line was cut short gets a newline first,
    so the new line stands alone; a new log starts with its header line.
    """
    path = folder / RECEIPTS_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        size = os.fstat(descriptor).st_size
        line = receipt_line(receipt)
        if size == 0:
            line = header_line() + line
        else:
            with open(path, "rb") as existing:
                existing.seek(size - 1)
                if existing.read(1) != b"\n":
                    line = b"\n" + line
        pause_at("receipt")
        written = os.write(descriptor, line)
        if written != len(line):  # a full disk: what was written is an incomplete line, ignored
            raise OSError(f"{display_path(path)}: only {written} of {len(line)} bytes written")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _superseded_path(folder: Path, name: str) -> Path:
    """Return the next free ``superseded/<name>.<n>`` of a period folder."""
    keep = folder / SUPERSEDED_DIR
    numbers = [int(p.name.rsplit(".", 1)[1]) for p in keep.glob(f"{name}.*")
               if p.name.rsplit(".", 1)[1].isdigit()] if keep.is_dir() else []
    return keep / f"{name}.{max(numbers, default=0) + 1}"


def _check(plan: Plan, period: Period, folder: Path, staged: Path,
           source: Path) -> tuple[PeriodData, list[Problem], str, str]:
    """Return (the file's data, its problems, its entity, its canonical name) for a copy ``staged``
    of ``source``: checked alone, then beside the files in force it does not replace."""
    tables, problems = read_file(staged)
    form_entity, _ = check_form_metadata(plan, period, tables)  # its refusals: read_period's problems
    kinds = [t.kind for t in tables if t.kind not in (FORM_COVER, "")]
    alone, found = read_period(plan, period, folder, [staged])
    problems = [p for p in found if p.file == staged]
    entity = entity_of(plan, alone, form_entity)
    name = canonical_name(kinds, entity, staged.suffix.lower(), form_entity is not None)
    if not tables and not any(p.is_error for p in problems):
        problems.append(Problem(staged, WHOLE_FILE, "", _NOTHING_READ))
    if not any(p.is_error for p in problems) and folder.is_dir():
        others = [p for p in data_files(folder) if p.name != name]
        _, beside = read_period(plan, period, folder, others + [staged])
        problems += [p for p in beside if p.file == staged and p.is_error and p not in problems]
    return alone, [replace(p, file=source) for p in problems], entity, name


_NOTHING_READ = (f"nothing to read: the name does not start with {', '.join(KINDS)} and no sheet is "
                 "named after one (expected a form written by 'review forms', or a file named like "
                 "indicators-MOH.csv)")


def receive_file(plan: Plan, period: Period, folder: Path, source: Path, now: Clock = utc_now,
                 received_at: dt.datetime | None = None) -> Outcome:
    """Check, file and log one received file; return what became of it.

    ``received_at`` is when the file came when that was before now (the e-mail's time); the log
    then says so, with the time it was filed.

    Holds the period's lock while filing and logging. Raises UsageError when the lock cannot be
    taken or the folder cannot be written.
    """
    from filelock import FileLock, Timeout
    raw = source.read_bytes()
    digest = _sha256(raw)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_FILE), timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(f"another 'review receive' of {period} is running (lock file "
                         f"{display_path(folder / LOCK_FILE)}); try again when it finishes") from None
    try:
        for leftover in folder.glob(".incoming-*"):  # a receive killed midway; the lock says it is dead
            shutil.rmtree(leftover, ignore_errors=True)
        received, given = now(), ""
        if received_at is not None:
            given = f"received time given with --received-at; filed {_stamp(received)}"
            received = received_at
        # The copy that is checked is the copy that is filed: the source may change meanwhile.
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder))
        try:
            staged = staging / source.name
            staged.write_bytes(raw)
            data, problems, entity, name = _check(plan, period, folder, staged, source)
            errors = [p for p in problems if p.is_error]
            if errors:
                reason = "; ".join(filter(None, [given, f"{len(errors)} problem(s): {errors[0].message}"]))
                receipt = Receipt(received, entity, source.name, digest, rows_read(data), REFUSED, reason)
                append_receipt(folder, receipt)
                return Outcome(source, receipt, problems)
            target = folder / name
            kept = None
            same = target.is_file() and _sha256(target.read_bytes()) == digest
            if target.exists() and not same:
                kept = _superseded_path(folder, name)
                kept.parent.mkdir(exist_ok=True)
                os.replace(target, kept)
            if not same:
                os.replace(staged, target)
                _sync_folder(folder)
            reason = f"replaces the earlier file, kept as {SUPERSEDED_DIR}/{kept.name}" if kept else \
                ("the same bytes as the file in force" if same else "")
            reason = "; ".join(filter(None, [given, reason]))
            receipt = Receipt(received, entity, name, digest, rows_read(data), ACCEPTED, reason)
            append_receipt(folder, receipt)
            return Outcome(source, receipt, problems, target, kept)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        lock.release()


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sync_folder(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _location_ar(problem: Problem) -> str:
    where = problem.where
    parts = []
    if where.sheet is not None:
        parts.append(f"الورقة «{where.sheet}»")
    if where.row is not None:
        parts.append(f"الصف {where.row}")
    if where.line is not None:
        parts.append(f"السطر {where.line}")
    if problem.field:
        parts.append(problem.field.replace("column ", "العمود "))
    return "، ".join(parts) or "الملف كله"


#: (pattern of a problem's English message, phrase key of its Arabic wording): the reply tells
#: the focal point in Arabic what is wrong; the English message stays beside it as the detail.
_ARABIC_PROBLEMS = [
    (r"expected a number.*, got (?P<value>.+)$", "receive.problem_number"),
    (r"unknown (?P<what>indicator|project|sector|entity) id (?P<value>\S+)", "receive.problem_unknown_id"),
    (r"expected a progress between 0 and 100 %, got (?P<value>.+)$", "receive.problem_progress"),
    (r"reported twice for .* with different values", "receive.problem_twice"),
    (r"no header row with the columns", "receive.problem_header"),
    (r"expected an? \w+ id, got an empty cell", "receive.problem_empty_id"),
    (r"the file is empty|holds no rows", "receive.problem_empty_file"),
    (r"expected period .*, got (?P<value>\S+): a form", "receive.problem_period"),
    (r"this form belongs to another plan", "receive.problem_plan"),
    (r"but this is the form of entity", "receive.problem_entity"),
    (r"expected an amount ≥ 0", "receive.problem_amount"),
    (r"^nothing to read", "receive.problem_nothing"),
    (r"expected a description", "receive.problem_description"),
    (r"expected (one of|high, medium or low).*, got (?P<value>.+)$", "receive.problem_choice"),
]


def problem_text(problem: Problem, phrases: Phrases) -> str:
    """Return a problem in the phrases' language: Arabic wording for the common problems (the
    English message for the rest, and always in English)."""
    import re
    if phrases.lang != "ar":
        return problem.message
    for pattern, key in _ARABIC_PROBLEMS:
        found = re.search(pattern, problem.message)
        if found:
            values = found.groupdict()
            if "what" in values:
                values["what"] = phrases(f"receive.{values['what']}")
            return phrases(key, **{k: v or "" for k, v in values.items()})
    return problem.message


def reply_document(plan: Plan, period: Period, outcome: Outcome, phrases: Phrases) -> bytes:
    """Return the reply to the focal point (.docx): the file accepted with what was read, or
    refused with every problem located (sheet, row, column) and what is expected."""
    t, lang = phrases, phrases.lang
    digits = plan.digits if lang == "ar" else "latin"
    receipt = outcome.receipt
    label = period_label(period, plan.calendar, lang)
    when = f"{format_date(receipt.received.date(), lang, digits)} {localize_digits(f'{receipt.received:%H:%M}', digits)} (UTC)"
    entity = plan.entity_by_id.get(receipt.entity)
    values = {"file": outcome.source.name, "period": localize_digits(label, digits), "when": when,
              "rows": localize_digits(str(receipt.rows), digits), "saved": receipt.file}
    if outcome.accepted:
        return write_letter(plan, entity, phrases, t("receive.reply_title", period=values["period"]),
                            [t("receive.reply_accepted", **values)], issue_date=receipt.received.date())
    errors = [p for p in outcome.problems if p.is_error]
    arabic = lang == "ar"
    rows = [[localize_digits(str(n), digits), _location_ar(p) if arabic else (str(p.where) or "—"),
             problem_text(p, phrases)] + ([p.message] if arabic else []) for n, p in enumerate(errors[:50], start=1)]
    headers = [t("pack.number"), t("receive.where"), t("receive.problem")] + ([t("receive.detail")] if arabic else [])
    widths = (0.9, 3.6, 5.5, 7.0) if arabic else (1.0, 5.0, 11.0)
    after = [t("receive.reply_more", count=localize_digits(str(len(errors) - 50), digits))] if len(errors) > 50 else []
    after.append(t("receive.reply_resend"))
    return write_letter(plan, entity, phrases, t("receive.reply_title", period=values["period"]),
                        [t("receive.reply_refused", **values, count=localize_digits(str(len(errors)), digits))],
                        table=(headers, rows, widths),
                        after=after, issue_date=receipt.received.date())


def reply_name(outcome: Outcome) -> str:
    """Return the reply document's file name: ``<file sent>.reply.docx``."""
    return f"{outcome.source.name}.reply.docx"


def receive(plan_dir: Path, period: Period, files: Sequence[Path], reply_dir: Path | None = None,
            now: Clock = utc_now, received_at: dt.datetime | None = None) -> tuple[str, bool]:
    """Receive ``files`` for ``period``: return (the report to print, True when every file was accepted).

    Valid files are filed and logged, invalid ones logged as refused with their problems in the
    report (and in a reply document per file in ``reply_dir``). Raises InputError for an invalid
    plan and UsageError for a period outside the plan's calendar, a file that does not exist or
    is not .csv/.xlsx, a ``reply_dir`` that is a file, or a ``received_at`` (when the files came,
    UTC, if before now) in the future — before anything is filed.
    """
    if received_at is not None and received_at > now():
        raise UsageError(f"--received-at {_stamp(received_at)}: is in the future (expected when the files "
                         "came, e.g. the time of the e-mail, in UTC)")
    plan = load_plan(plan_dir)
    try:
        check_year(period.year, plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {plan.calendar})") from None
    for source in files:
        if not Path(source).is_file():
            raise UsageError(f"{display_path(source)}: no such file (expected a returned form or data file)")
        if Path(source).suffix.lower() not in READERS:
            raise UsageError(f"{display_path(source)}: expected a .csv or .xlsx file, got {Path(source).suffix!r}")
    if reply_dir is not None and Path(reply_dir).exists() and not Path(reply_dir).is_dir():
        raise UsageError(f"{display_path(reply_dir)}: --reply: not a folder (expected the folder to write replies into)")
    folder = Path(plan_dir) / DATA_DIR / str(period)
    phrases = load_phrases(lang=plan.language)
    lines, all_accepted = [], True
    for source in files:
        outcome = receive_file(plan, period, folder, Path(source), now, received_at)
        receipt = outcome.receipt
        who = f" ({receipt.entity})" if receipt.entity else ""
        if outcome.accepted:
            note = f"; {receipt.reason}" if receipt.reason else ""
            lines.append(f"accepted: {display_path(source)}{who} → {display_path(outcome.filed)}, "
                         f"{receipt.rows} row(s){note}")
        else:
            all_accepted = False
            errors = [p for p in outcome.problems if p.is_error]
            lines.append(f"refused: {display_path(source)}{who}: {len(errors)} problem(s); not filed")
            lines.extend("  " + line for line in format_problems(outcome.problems).splitlines()
                         if not line.startswith("Stopped:"))
        if reply_dir is not None:
            target = Path(reply_dir) / reply_name(outcome)
            replace_file(target, reply_document(plan, period, outcome, phrases))
            lines.append(f"  reply: {display_path(target)}")
    lines.append(f"Logged in {display_path(folder / RECEIPTS_FILE)}")
    return "\n".join(lines), all_accepted


def receipts_of(folder: Path) -> list[Receipt]:
    """Return the receipts logged for a period folder (the incomplete last line ignored)."""
    return read_receipts(folder)[0]
