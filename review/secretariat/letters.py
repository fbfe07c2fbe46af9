"""Short letters to an entity's focal point (a receive reply, a reminder): the pack template's
letterhead and styles, right to left, one page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from review.language.formats import format_date
from review.language.phrases import Phrases
from review.model.layout import DEFAULT_TEMPLATE, TEMPLATES_DIR
from review.model.plan import Entity, Plan
from review.office.word.writer import CellValue, PackWriter


def write_letter(plan: Plan, entity: Entity | None, phrases: Phrases, subject: str, paragraphs: Sequence[str],
                 table: tuple[Sequence[str], Sequence[Sequence[CellValue]], Sequence[float]] | None = None,
                 after: Sequence[str] = (), issue_date: dt.date | None = None) -> bytes:
    """Return a one-page letter (.docx bytes) from the secretariat to ``entity``'s focal point.

    Texts are written as given: the caller puts numbers and dates in the plan's digits, and
    codes (file names, ids) stay Latin. The letterhead is the pack template's (``templates/briefing.docx`` and ``templates/logo.png``);
    ``table`` is (headers, rows, widths in cm) written between ``paragraphs`` and ``after``. The
    same arguments give the same bytes (``SOURCE_DATE_EPOCH`` stamps the zip).
    """
    t, lang = phrases, phrases.lang
    digits = plan.digits if lang == "ar" else "latin"
    writer = PackWriter(DEFAULT_TEMPLATE, lang)
    organization = plan.organization.get(lang)
    writer.set_properties(subject, plan.title.get(lang), organization,
                          dt.datetime.combine(issue_date or dt.date(1980, 1, 1), dt.time()))
    writer.set_header(plan.title.get(lang))
    writer.set_footer(plan.classification.get(lang) if plan.classification else None, t("pack.page"))
    logo = TEMPLATES_DIR / "logo.png"
    if logo.is_file():
        writer.logo(logo.read_bytes(), alt_text=organization)
    writer.subtitle(organization)
    if issue_date is not None:
        writer.paragraph(t("letters.date", date=format_date(issue_date, lang, digits)), align="end")
    if entity is not None:
        who = entity.focal_point or t("letters.focal_point")
        writer.paragraph(t("letters.to", person=who, entity=entity.name.get(lang)), bold=True)
    writer.paragraph(subject, bold=True, size_pt=15, align="center")
    writer.paragraph(t("letters.greeting"))
    for text in paragraphs:
        writer.paragraph(text)
    if table is not None:
        headers, rows, widths = table
        writer.table(headers, rows, widths, size_pt=9)
    for text in after:
        writer.paragraph(text)
    writer.paragraph(t("letters.closing"))
    writer.paragraph(t("letters.signature", organization=organization), bold=True)
    return writer.to_bytes()
