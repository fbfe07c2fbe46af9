"""What every pack is composed from (:class:`PackContext`: the plan, the period's results, the
wording in the pack's language and digits) and how every pack starts (cover, header, contents).

Nothing here spells an OOXML tag (``review.office.word`` does) or imports matplotlib.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from review.evaluate import TREND_FLAT, PeriodResult, TrendRun, trend_arrow
from review.language.counts import Noun, count_noun
from review.language.formats import (ARABIC, LATIN, format_date, format_issue_date, format_number, format_percent,
                                     format_points, format_value, localize_digits, localize_text_digits)
from review.language.phrases import Phrases
from review.model import status as st
from review.model.data import DataSet
from review.model.layout import DEFAULT_TEMPLATE
from review.model.periods import Period, period_heading_label, period_label, period_short_label, quarter_dates
from review.model.plan import Plan
from review.office.word.writer import Cell, PackWriter
from review.recommend.proposals import Proposal
from review.recommend.register import Recommendation


#: Text colours of a trend: green for an improvement, red for a deterioration (the status palette's).
IMPROVING, WORSENING = st.COLOURS[st.ON_TRACK], st.COLOURS[st.OFF_TRACK]


@dataclass
class PackContext:
    """Everything a pack is composed from, for one plan and period."""

    plan: Plan
    data: DataSet
    history: list[PeriodResult]
    phrases: Phrases
    issue_date: dt.date
    template: Path | None = None
    draft_mark: str | None = None
    proposals: list[Proposal] = field(default_factory=list)
    register: list[Recommendation] = field(default_factory=list)
    plan_dir: Path = Path()
    #: The organisation's logo for the cover (templates/logo.png), None for none.
    logo: bytes | None = None
    #: The decisions' numbers the period's earlier revisions gave ({decision key: number}).
    decision_numbers: dict[str, int] = field(default_factory=dict)
    #: The facts computed so far (see :mod:`review.compose.facts`), each computed once.
    facts_memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    #: ``remember(key, compute)``: ``compute()``, or what it returned before for the same key (the
    #: build's cache, set by ``review.pipeline``); ``key`` holds plain values deciding the value
    #: entirely. None computes every time (no cache: a snapshot rendered again, the tests).
    remember: Callable[[tuple, Callable[[], Any]], Any] | None = field(default=None, repr=False, compare=False)
    #: ``digest(*values)``: a SHA-256 of plain values, the same in any process (set by
    #: ``review.pipeline`` with :attr:`remember`), so that a key's large parts are hashed once.
    digest: Callable[..., str] | None = field(default=None, repr=False, compare=False)

    @property
    def result(self) -> PeriodResult:
        return self.history[-1]

    @property
    def period(self) -> Period:
        return self.result.period

    @property
    def lang(self) -> str:
        return self.phrases.lang

    @property
    def digits(self) -> str:
        # English packs use Western digits whatever the plan says.
        return self.plan.digits if self.lang == "ar" else LATIN

    @property
    def previous(self) -> PeriodResult | None:
        before = [r for r in self.history if r.period == self.period.previous()]
        return before[0] if before else None

    # -- wording helpers --------------------------------------------------------------------

    def t(self, key: str, **values) -> str:
        """Return the phrase ``key`` filled with ``values``, its numbers and «٪» in the plan's digits."""
        return localize_text_digits(self.phrases(key, **values), self.digits)

    def text(self, value) -> str:
        """Return a plan's text (a name, a title) in the pack's language, its numbers in the plan's
        digits (Latin codes such as PHC-03 kept)."""
        return localize_text_digits(value.get(self.lang), self.digits) if value is not None else ""

    def number(self, value: float | None, decimals: int = 0) -> str:
        return format_number(value, decimals, self.lang, self.digits)

    def percent(self, value: float | None, decimals: int = 1) -> str:
        return format_percent(value, decimals, self.lang, self.digits)

    def points(self, value: float | None) -> str:
        return format_points(value, 1, self.lang, self.digits)

    def digits_of(self, text: str) -> str:
        return localize_digits(text, self.digits)

    def data_text(self, text: str) -> str:
        """Return text the entities or the rules wrote (a challenge, a recommendation) with its
        numbers in the plan's digits; Latin codes such as R1444-1-01 kept."""
        return localize_text_digits(text, self.digits)

    def plain_text(self, text: str) -> str:
        """Return fixed wording in the plan's digits, its percent signs «٪» with Arabic-Indic digits."""
        text = self.digits_of(text)
        return text.replace("%", "٪") if self.digits == ARABIC else text

    def status_label(self, key: str) -> str:
        return self.t(f"status.{key}")

    def status_cell(self, key: str) -> Cell:
        return Cell(self.status_label(key), fill=st.colour(key), colour=st.TEXT_COLOURS.get(key, "000000"),
                    bold=True, align="center")

    def join(self, items) -> str:
        """Return items as a list in running text, with the Arabic comma in Arabic packs."""
        return ("، " if self.lang == "ar" else ", ").join(items)

    def status_counts(self, statuses, order: tuple[str, ...]) -> str:
        """Return how many of ``statuses`` have each status, e.g. «على المسار: 5، متعثر: 1»."""
        counts = Counter(statuses)
        return self.join(self.t("pack.count_line", label=self.status_label(key), count=self.number(counts[key]))
                         for key in order if counts[key])

    def change_words(self, change: float | None) -> str:
        """Return a change in points as a clause: «بارتفاع 3.5 نقطة مئوية عن الربع السابق», …"""
        if change is None:
            return self.t("pack.msg_no_trend")
        if abs(change) <= TREND_FLAT:
            return self.t("pack.msg_flat")
        return self.t("pack.msg_up" if change > 0 else "pack.msg_down", points=self.number(abs(change), 1))

    def noun(self, name: str) -> Noun:
        """Return the counted noun ``noun.<name>`` of the phrases catalogue in the pack's language."""
        return Noun(self.t(f"noun.{name}.singular"), self.t(f"noun.{name}.plural"), self.t(f"noun.{name}.dual"),
                    self.t(f"noun.{name}.gender"))

    def count(self, number: int, noun: str, genitive: bool = False) -> str:
        """Return a count with its noun in agreement («مؤشر واحد», «٣ مؤشرات»), «لا يوجد» for 0;
        ``genitive`` after a preposition («من أصل مؤشرين»)."""
        if number == 0:
            return self.t("chair.none_count")
        return count_noun(number, self.noun(noun), self.lang, self.digits, genitive=genitive)

    def unit(self, unit) -> str:
        """Return a unit in the pack's language and digits («٪» for % in Arabic-Indic digits)."""
        text = self.digits_of(self.text(unit)).strip()
        if text in ("%", "٪"):
            return "٪" if self.digits == ARABIC else "%"
        return text

    def value(self, value: float | None, decimals: int, unit: str) -> str:
        """Return a value with its unit (as :meth:`unit` gives it): «٣٨ يوم», «٨٥٫٠٪»; «—» for None."""
        if value is None:
            return "—"
        number = self.number(value, decimals)
        if not unit:
            return number
        return number + unit if unit in ("%", "٪") else f"{number} {unit}"

    def nth(self, n: int) -> str:
        """Return an ordinal for «للربع الثالث على التوالي» (2–10 in words, else the number)."""
        key = f"trend.nth_{n}"
        return self.t(key) if self.phrases.has(key) else self.t("trend.nth_other", n=self.number(n))

    def trend_words(self, run: TrendRun) -> str:
        """Return a score's movement across the whole history as a clause (SPEC §5.6).

        "No notable change" only when every step of the history is within the dead band.
        """
        if run.change is None:
            return self.t("trend.none")
        points = self.number(abs(run.change), 1)
        if run.all_flat:
            return self.t("trend.flat")
        if run.direction == "flat":
            return self.t("trend.same")
        way = run.direction
        if run.streak >= 2:
            return self.t(f"trend.{way}_streak", points=points, nth=self.nth(run.streak))
        if run.before >= 2:
            return self.t(f"trend.{way}_after", points=points, quarters=self.count(run.before, "quarter", genitive=True))
        return self.t(f"trend.{way}", points=points)

    def trend_text(self, change: float | None) -> str:
        if change is None:
            return "—"
        return f"{trend_arrow(change)} {self.points(change)}"

    def trend_cell(self, change: float | None) -> Cell | str:
        """Return a change of achievement or score as a cell: ▲ in green is an improvement and ▼ in
        red a deterioration, whichever way the indicator points (achievement already says which)."""
        if change is None:
            return "—"
        colour = None if abs(change) <= TREND_FLAT else (IMPROVING if change > 0 else WORSENING)
        return Cell(self.trend_text(change), colour=colour, bold=colour is not None)

    def period_label(self) -> str:
        return self.digits_of(period_label(self.period, self.plan.calendar, self.lang))

    def short_label(self, period: Period) -> str:
        return self.digits_of(period_short_label(period, self.plan.calendar, self.lang))

    def entity_name(self, entity_id: str) -> str:
        entity = self.plan.entity_by_id.get(entity_id)
        return self.text(entity.name) if entity else entity_id

    def chart_formats(self) -> dict:
        """Return picklable value formatters for the charts, in the pack's digits."""
        return {"percent": partial(format_percent, decimals=0, lang=self.lang, digits=self.digits),
                "count": partial(format_number, decimals=0, lang=self.lang, digits=self.digits),
                "number": partial(format_value, lang=self.lang, digits=self.digits)}


def status_items(ctx: PackContext, statuses: list[str], order: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """Return (label, count, status) for each status of ``order`` that ``statuses`` holds: a chart's items."""
    counts = Counter(statuses)
    return [(ctx.status_label(key), counts[key], key) for key in order if counts[key]]


def describe(ctx: PackContext, pairs: list[tuple[str, str]]) -> str:
    """Return «label: value» pairs as one line of text (a chart's alternative text)."""
    return ("؛ " if ctx.lang == "ar" else "; ").join(f"{a}: {b}" for a, b in pairs)


def start_document(ctx: PackContext, subtitle: str) -> PackWriter:
    """Return a writer with the cover, header, footer and contents of a pack written."""
    plan = ctx.plan
    writer = PackWriter(ctx.template or DEFAULT_TEMPLATE, ctx.lang, quoted_note=ctx.t("furniture.as_submitted"))
    title = ctx.text(plan.title)
    writer.set_properties(f"{title} — {subtitle}", ctx.period_label(), ctx.text(plan.organization),
                          dt.datetime.combine(ctx.issue_date, dt.time()))
    heading_period = ctx.digits_of(period_heading_label(ctx.period, plan.calendar, ctx.lang))
    writer.set_header(ctx.t("pack.header", plan=title, period=heading_period), ctx.draft_mark)
    writer.set_footer(ctx.text(plan.classification) or None, ctx.t("pack.page"), arabic_digits=ctx.digits == ARABIC)
    if ctx.logo:
        writer.logo(ctx.logo, alt_text=ctx.text(plan.organization))
    writer.subtitle(ctx.text(plan.organization))
    writer.title(title)
    writer.subtitle(subtitle)
    writer.paragraph(ctx.t("pack.workshop"), align="center", bold=True, size_pt=14)
    writer.paragraph(ctx.period_label(), align="center", size_pt=13)
    start, end = quarter_dates(ctx.period, plan.calendar)
    writer.paragraph(ctx.t("pack.dates", start=format_date(start, ctx.lang, ctx.digits),
                           end=format_date(end, ctx.lang, ctx.digits)), align="center")
    writer.paragraph(ctx.t("furniture.issued", date=format_issue_date(ctx.issue_date, plan.calendar, ctx.lang,
                                                                      ctx.digits)), align="center")
    if plan.classification:
        writer.paragraph(ctx.text(plan.classification), align="center", bold=True, colour="C00000")
    if plan.notice:
        writer.paragraph(ctx.text(plan.notice), align="center", size_pt=9, colour="595959")
    write_furniture(writer, ctx)
    writer.page_break()
    writer.toc(ctx.t("pack.contents"))
    writer.page_break()
    return writer


def write_furniture(writer: PackWriter, ctx: PackContext) -> None:
    """Write the plan's approval block (أعدّه / راجعه / اعتمده) and distribution list, when it has them."""
    plan, t = ctx.plan, ctx.t
    approval = plan.approval
    lines = [(key, getattr(approval, key)) for key in ("prepared_by", "reviewed_by", "approved_by")
             if approval is not None and getattr(approval, key) is not None]
    if lines:
        writer.paragraph(t("furniture.approval"), bold=True, size_pt=11, keep_with_next=True)
        writer.table([t("furniture.role"), t("furniture.name"), t("furniture.position"), t("furniture.signature")],
                     [[Cell(t(f"furniture.{key}"), bold=True), ctx.text(person.name), ctx.text(person.title) or "—", ""]
                      for key, person in lines], size_pt=9.5, min_widths_cm=(0, 0, 0, 3.5), keep_together=True)
    if plan.distribution:
        writer.paragraph(t("furniture.distribution"), bold=True, size_pt=11, keep_with_next=True)
        writer.bullets([ctx.text(item) for item in plan.distribution])


def change_text(ctx: PackContext, change: float | None) -> str:
    """Return a change in points with its arrow («▲ 3.5 نقطة»), or the no-data wording."""
    if change is None:
        return ctx.t("pack.no_change_data")
    return f"{trend_arrow(change)} " + ctx.t("pack.points", value=ctx.points(change))
