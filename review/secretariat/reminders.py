"""``review status … --reminders DIR``: a short reminder letter per entity that is late or
incomplete (issue 17). Nothing is sent: the letters are for the secretariat to send.

A letter goes to every entity whose submission is not complete (sent nothing, or values
missing), addressed to its focal point, with the items still without a value and the deadline
(and how many days have passed since, judged at the given time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from review.archive.revisions import replace_file
from review.evaluate import days_overdue
from review.language.formats import format_date, localize_digits
from review.language.phrases import Phrases, load_phrases
from review.model.data import PeriodData
from review.model.periods import HIJRI, HIJRI_MONTHS, Period, period_label
from review.model.plan import Entity, Plan
from review.secretariat.letters import write_letter


def missing_items(plan: Plan, data: PeriodData, entity_id: str) -> list[tuple[str, str, str]]:
    """Return (kind, id, name) of the entity's indicators and projects with no value for the period,
    in plan order; kind is ``indicator`` or ``project``."""
    lang = plan.language
    items = [("indicator", i.id, i.name.get(lang)) for _, _, i in plan.indicators()
             if i.entity == entity_id and i.id not in data.indicators]
    items += [("project", p.id, p.name.get(lang)) for _, p in plan.projects()
              if p.entity == entity_id and p.id not in data.projects]
    return items


def deadline_text(plan: Plan, period: Period, deadline: dt.date, lang: str) -> str:
    """Return the deadline in words in the plan's digits: «2 أغسطس 2023», and for a Hijri plan's own
    deadline the Hijri day first, «15 محرم 1445هـ (2 أغسطس 2023)»."""
    digits = plan.digits if lang == "ar" else "latin"
    gregorian = format_date(deadline, lang, digits)
    written = plan.deadlines.get(period)
    if plan.calendar != HIJRI or written is None or plan.deadline(period) != deadline:
        return gregorian
    year, month, day = (int(part) for part in written.split("-"))
    hijri = f"{day} {HIJRI_MONTHS[lang][month - 1]} {year}" + ("هـ" if lang == "ar" else " AH")
    return f"{localize_digits(hijri, digits)} ({gregorian})"


def reminder_letter(plan: Plan, period: Period, data: PeriodData, entity: Entity, sent_nothing: bool,
                    now: dt.datetime, phrases: Phrases) -> bytes:
    """Return the reminder letter (.docx) to ``entity``'s focal point: what is missing and the deadline
    (``sent_nothing``: no value and no challenge came; else some values are missing)."""
    t, lang = phrases, phrases.lang
    digits = plan.digits if lang == "ar" else "latin"
    label = localize_digits(period_label(period, plan.calendar, lang), digits)
    deadline = plan.deadline(period) or data.deadline
    shown = None if deadline is None else deadline_text(plan, period, deadline, lang)
    paragraphs = [t("reminders.nothing" if sent_nothing else "reminders.partial", period=label)]
    overdue = days_overdue(deadline, now)
    if shown is None:
        paragraphs.append(t("reminders.no_deadline"))
    elif overdue:
        paragraphs.append(t("reminders.overdue", deadline=shown,
                            days=localize_digits(str(overdue), digits)))
    else:
        paragraphs.append(t("reminders.deadline", deadline=shown))
    items = missing_items(plan, data, entity.id)
    rows = [[t(f"reminders.{kind}"), ident, name] for kind, ident, name in items]
    table = ([t("reminders.kind"), t("reminders.code"), t("reminders.item")], rows, (2.5, 2.5, 12.0)) if rows else None
    return write_letter(plan, entity, phrases, t("reminders.title", period=label), paragraphs, table,
                        after=[t("reminders.request")], issue_date=now.date())


def write_reminders(plan: Plan, period: Period, data: PeriodData, incomplete: list[tuple[Entity, bool]],
                    folder: Path, now: dt.datetime) -> list[Path]:
    """Write ``reminder-<entity>.docx`` into ``folder`` for each (entity, sent nothing) of
    ``incomplete`` (the entities ``review status`` finds not complete); return the paths."""
    phrases = load_phrases(lang=plan.language)
    written = []
    for entity, sent_nothing in incomplete:
        path = Path(folder) / f"reminder-{entity.id}.docx"
        replace_file(path, reminder_letter(plan, period, data, entity, sent_nothing, now, phrases))
        written.append(path)
    return written
