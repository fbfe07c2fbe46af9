"""The workshop deck (``deck.pptx``, SPEC §5.8): which slides, what goes on each, where.

Slides, in order: title (workshop, quarter, dates, issue date) · agenda · the plan at a glance
(score, status counts, sector scores as a native bar chart) · per sector an overview (score,
status, counts, status-distribution chart, key messages) and what needs the workshop (off-track
and stalled indicators with what their entities reported, projects behind plan, the sector's
proposed decisions) · the decisions (the executive pack's decisions sheet: plan-wide numbers,
wording, owner, due quarter; evidence in the notes) · the follow-up of earlier recommendations.
Each slide's talking points are its speaker notes.

The words are the packs' own, from the same facts (``review.compose.facts``: lagging items,
reported causes, decisions) and sentences (``review.compose.sentences``, the key messages of
``sector.py``); a slide never overflows: a table shows its worst rows with «and K more», or goes
on over as many slides as it needs (decisions, follow-up). Every format detail is in
``review.office.pptx``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from review.compose.context import PackContext, change_text, status_items
from review.compose.executive import plan_messages
from review.compose.facts import Decision, IndicatorFact, ProjectFact, decisions, sector_facts
from review.compose.sections import recommendation_cell, sector_digest, wording_key
from review.compose.sector import key_messages
from review.compose.sentences import decision_sentence, indicators_sentence, projects_sentence, reported_lines
from review.language.formats import ARABIC, format_date
from review.model import status as st
from review.model.periods import quarter_dates
from review.model.plan import Sector
from review.office.package import source_date_time
from review.office.pptx import Box, CellValue, DeckWriter, number_format, text_height

DECK_FILE = "deck.pptx"

#: Type sizes (pt).
TITLE_PT = 28
BODY_PT = 16
MESSAGE_PT = 14
#: The key messages' sizes, largest first, and the share of a sector slide's body they may take.
MESSAGE_SIZES = (MESSAGE_PT, 13, 12, 11, 10)
MESSAGE_SHARE = 0.5
TABLE_PT = 12
SMALL_PT = 11
FOOTER_PT = 10
#: At most so many rows of each list on a sector's second slide (fewer when they do not fit).
MAX_LAGGING = 5
MAX_BEHIND = 3
MAX_PROPOSALS = 3
#: The gridline step of a score axis (percentage points).
SCORE_STEP = 20
#: The fixed slides: title, agenda, the plan at a glance, decisions, follow-up (each at least one).
FIXED_SLIDES = 5
#: Slides per sector: the overview and what needs the workshop.
SECTOR_SLIDES = 2


@dataclass(frozen=True)
class Frame:
    """Where things go on a slide of a deck's size (EMU): title, body, footer."""

    width: int
    height: int

    @property
    def margin(self) -> int:
        return int(self.width * 0.035)

    @property
    def gap(self) -> int:
        return int(self.height * 0.02)

    @property
    def title(self) -> Box:
        return Box(self.margin, int(self.height * 0.035), self.width - 2 * self.margin, int(self.height * 0.11))

    @property
    def rule(self) -> Box:
        title = self.title
        return title.below(max(1, int(self.height * 0.005)))

    @property
    def footer(self) -> Box:
        return Box(self.margin, self.height - int(self.height * 0.06), self.width - 2 * self.margin, int(self.height * 0.045))

    @property
    def body(self) -> Box:
        top = self.rule.y + self.rule.height + self.gap
        return Box(self.margin, top, self.width - 2 * self.margin, self.footer.y - self.gap - top)

    def split(self, box: Box, start_share: float, rtl: bool) -> tuple[Box, Box]:
        """Return (start part, end part) of ``box`` side by side; the start is on the right when ``rtl``."""
        start_width = int((box.width - self.gap) * start_share)
        end_width = box.width - self.gap - start_width
        if rtl:
            return (Box(box.x + end_width + self.gap, box.y, start_width, box.height),
                    Box(box.x, box.y, end_width, box.height))
        return (Box(box.x, box.y, start_width, box.height),
                Box(box.x + start_width + self.gap, box.y, end_width, box.height))


class Deck:
    """A deck being composed: the writer, the frame, and each slide's title for the footers."""

    def __init__(self, ctx: PackContext, template: bytes | None):
        self.ctx = ctx
        self.rtl = ctx.lang == "ar"
        self.writer = DeckWriter(template, rtl=self.rtl, lang=ctx.lang)
        self.frame = Frame(self.writer.width, self.writer.height)
        self.slides: list = []
        #: Each slide's speaker notes, in the order of :attr:`slides`.
        self.notes: list[list[str]] = []
        #: What the deck's look depends on besides the context: its master (None: the default).
        self.template_key = None if template is None else hashlib.sha256(template).hexdigest()

    def slide(self, title: str | None, notes: list[str], more_notes: str = "", more_lines: Sequence[str] = ()):
        """Return a new slide with ``title`` (None: none) and ``notes``, then the notes ``more_lines``
        already made into paragraphs, ``more_notes`` (see :meth:`DeckWriter.notes_xml`)."""
        slide = self.writer.slide(notes, more_notes)
        if title is not None:
            box = self.frame.title
            size = fit_size(title, box, (TITLE_PT, 24, 20, 18), bold=True)
            self.writer.text(slide, box, [title], size_pt=size, bold=True, colour="1F3864", anchor="bottom")
            self.writer.rule(slide, self.frame.rule)
        self.slides.append(slide)
        self.notes.append([*notes, *more_lines])
        return slide

    def heading(self, slide, box: Box, text: str, size_pt: float = BODY_PT) -> int:
        """Write a block's heading at the top of ``box``; return its height."""
        height = text_height(text, box.width, size_pt) + self.frame.gap // 2
        self.writer.text(slide, Box(box.x, box.y, box.width, height), [text], size_pt=size_pt, bold=True, colour="1F3864")
        return height

    def finish(self) -> bytes:
        """Write every slide's footer (plan, quarter, slide number of total) and return the .pptx."""
        ctx, total = self.ctx, len(self.slides)
        footer = self.frame.footer
        start, end = self.frame.split(footer, 0.75, self.rtl)
        label = ctx.t("pack.header", plan=ctx.text(ctx.plan.title), period=ctx.short_label(ctx.period))
        for number, slide in enumerate(self.slides, start=1):
            if number > 1:
                self.writer.text(slide, start, [label], size_pt=FOOTER_PT, colour="595959", anchor="middle")
            self.writer.text(slide, end, [ctx.t("deck.slide_number", number=ctx.number(number), total=ctx.number(total))],
                             size_pt=FOOTER_PT, colour="595959", align="end", anchor="middle")
        return self.writer.to_bytes(ctx.remember)


def fit_size(text: str, box: Box, sizes: tuple[float, ...], bold: bool = False) -> float:
    """Return the largest of ``sizes`` at which ``text`` fits in ``box`` (the smallest when none does)."""
    for size in sizes:
        if text_height(text, box.width, size * (1.05 if bold else 1)) <= box.height:
            return size
    return sizes[-1]


# -- facts the slides show -------------------------------------------------------------------------


def decision_text(ctx: PackContext, decision: Decision) -> str:
    """Return a decision's wording as the executive pack's decisions sheet prints it."""
    return ctx.data_text("\n".join(decision.texts))


def decision_notes(ctx: PackContext, decision: Decision) -> list[str]:
    """Return a decision's number and wording, then its evidence and the items it covers under the
    decisions sheet's column headings: the sheet's cells that do not fit on the slide."""
    index, projects = ctx.plan.indicator_index, ctx.plan.project_index
    covered = [ctx.text(index[i][2].name) if i in index else ctx.text(projects[i][1].name) for i in decision.covers]
    texts = [ctx.data_text(text) for text in decision.texts]
    lines = [f"{ctx.number(decision.number)}. {texts[0]}", *texts[1:]]
    lines += [ctx.t("pack.count_line", label=ctx.t("pack.evidence"), count=ctx.data_text(e)) for e in decision.evidence]
    if covered:
        lines.append(ctx.t("pack.count_line", label=ctx.t("decisions.covers"), count=ctx.join(covered)))
    return lines


def item_notes(ctx: PackContext, fact: IndicatorFact | ProjectFact) -> list[str]:
    """Return a lagging indicator or a project behind plan as the chair's lists name it — its name
    and status — then what its entity reported, line by line as those lists print it."""
    return [ctx.t("pack.count_line", label=fact.name, count=ctx.status_label(fact.result.status)),
            *reported_lines(ctx, fact).split("\n")]


def sector_name(ctx: PackContext, sector_id: str | None) -> str:
    """Return a sector's name, or the plan-wide heading for None."""
    if sector_id is None or sector_id not in ctx.plan.sector_by_id:
        return ctx.t("executive.plan_wide")
    return ctx.text(ctx.plan.sector_by_id[sector_id].name)


def percent_format(ctx: PackContext) -> str:
    """Return the charts' number format for percentages (0–100) in the pack's digits."""
    arabic = ctx.digits == ARABIC
    return number_format(0, "٪" if arabic else "%", arabic)


def count_format(ctx: PackContext) -> str:
    return number_format(0, "", ctx.digits == ARABIC)


def score_maximum(values) -> float | None:
    """Return 100 as the axis maximum when no score exceeds it (the scale of a score), else None (automatic)."""
    present = [v for v in values if v is not None]
    return 100.0 if all(v <= 100 for v in present) else None


# -- slides ----------------------------------------------------------------------------------------


def title_slide(deck: Deck) -> None:
    """The title slide: organisation, plan, workshop, quarter (with its Gregorian dates), issue date."""
    ctx, frame, writer = deck.ctx, deck.frame, deck.writer
    plan = ctx.plan
    start, end = quarter_dates(ctx.period, plan.calendar)
    dates = ctx.t("pack.dates", start=format_date(start, ctx.lang, ctx.digits), end=format_date(end, ctx.lang, ctx.digits))
    issued = ctx.t("pack.issued", date=format_date(ctx.issue_date, ctx.lang, ctx.digits))
    lines = [ctx.t("pack.workshop"), ctx.period_label(), dates, issued]
    slide = deck.slide(None, lines)
    width, height, margin = frame.width, frame.height, frame.margin
    band = Box(0, int(height * 0.30), width, int(height * 0.24))
    writer.text(slide, Box(margin, int(height * 0.12), width - 2 * margin, int(height * 0.14)),
                [ctx.text(plan.organization)], size_pt=22, colour="595959", align="center", anchor="bottom")
    writer.rule(slide, band, colour="1F3864")
    title = ctx.text(plan.title)
    inner = Box(margin, band.y, width - 2 * margin, band.height)
    writer.text(slide, inner, [title], size_pt=fit_size(title, inner, (36, 32, 28, 24), bold=True), bold=True,
                colour="FFFFFF", align="center", anchor="middle")
    below = Box(margin, band.y + band.height + frame.gap, width - 2 * margin, int(height * 0.34))
    writer.text(slide, below, [lines[0]], size_pt=26, bold=True, colour="1F3864", align="center")
    details = Box(margin, below.y + int(height * 0.09), below.width, int(height * 0.26))
    paragraphs = lines[1:]
    if plan.classification:
        paragraphs.append(ctx.text(plan.classification))
    writer.text(slide, details, paragraphs, size_pt=18, colour="262626", align="center")


def agenda_slide(deck: Deck) -> None:
    """The agenda: the plan at a glance, each sector, decisions, follow-up — in columns when long."""
    ctx, frame = deck.ctx, deck.frame
    items = ([ctx.t("deck.glance")] + [ctx.t("deck.sector", sector=ctx.text(s.name)) for s in ctx.plan.sectors]
             + [ctx.t("decisions.title"), ctx.t("pack.follow_up")])
    slide = deck.slide(ctx.t("deck.agenda"), items)
    body = frame.body
    for size, columns in ((20, 1), (18, 1), (16, 2), (14, 2), (12, 3), (10, 3), (9, 4)):
        per_column = -(-len(items) // columns)
        width = (body.width - (columns - 1) * frame.gap) // columns
        line = max(text_height(item, width - int(size * 1.8 * 12700), size) + int(size * 0.4 * 12700) for item in items)
        if per_column * line <= body.height:
            break
    numbers = [ctx.number(n) + "." for n in range(1, len(items) + 1)]
    for column in range(columns):
        part = slice(column * per_column, (column + 1) * per_column)
        offset = column * (width + frame.gap)
        x = body.x + body.width - offset - width if deck.rtl else body.x + offset
        deck.writer.text(slide, Box(x, body.y, width, body.height), items[part], size_pt=size, numbers=numbers[part])


def glance_slide(deck: Deck) -> None:
    """The plan at a glance: score, status, coverage, change, counts; sector scores as a bar chart."""
    ctx, frame, writer = deck.ctx, deck.frame, deck.writer
    result = ctx.result
    slide = deck.slide(ctx.t("deck.glance"), plan_messages(ctx))
    start, end = frame.split(frame.body, 0.42, deck.rtl)
    rows: list[list[CellValue]] = [
        [ctx.t("pack.plan_score"), ctx.percent(result.plan.score)],
        [ctx.t("pack.status"), ctx.status_cell(result.plan.status)],
        [ctx.t("pack.coverage"), ctx.percent(result.plan.coverage)],
        [ctx.t("pack.change"), change_text(ctx, result.plan.trend)],
        [ctx.t("executive.sectors_by_status"), ctx.status_counts((s.status for s in result.sectors), st.STATUSES)],
        [ctx.t("pack.indicator_counts"), ctx.status_counts((i.status for i in result.indicators), st.STATUSES)],
    ]
    if result.projects:
        rows.append([ctx.t("pack.project_counts"), ctx.status_counts((p.status for p in result.projects), st.PROJECT_STATUSES)])
    used = key_value_table(deck, slide, start, rows) + frame.gap
    trend = Box(start.x, start.y + used, start.width, start.height - used)
    if trend.height > frame.height * 0.2:
        top = deck.heading(slide, trend, ctx.t("deck.plan_trend"))
        writer.line_chart(slide, Box(trend.x, trend.y + top, trend.width, trend.height - top),
                          [ctx.short_label(r.period) for r in ctx.history],
                          [(ctx.t("pack.plan_score"), [r.plan.score for r in ctx.history], "1F3864")],
                          percent_format(ctx), maximum=score_maximum([r.plan.score for r in ctx.history]), size_pt=11,
                          major_unit=SCORE_STEP)
    top = deck.heading(slide, end, ctx.t("pack.chart_sectors"))
    names = [ctx.text(s.name) for s in ctx.plan.sectors]
    scores = {s.id: s for s in result.sectors}
    values = [scores[s.id].score for s in ctx.plan.sectors]
    writer.bar_chart(slide, Box(end.x, end.y + top, end.width, end.height - top), names, values,
                     [st.colour(scores[s.id].status) for s in ctx.plan.sectors], percent_format(ctx),
                     horizontal=True, maximum=score_maximum(values), series_name=ctx.t("pack.sector_score"),
                     size_pt=12 if len(names) <= 12 else 9, major_unit=SCORE_STEP)


def key_value_table(deck: Deck, slide, box: Box, rows: list[list[CellValue]], size_pt: float = TABLE_PT) -> int:
    """Write a two-column table (label, value) at the top of ``box`` without a header row; return its height."""
    for size in (size_pt, SMALL_PT, 10, 9):
        height = deck.writer.table_height(None, rows, (1.0, 1.3), box.width, size)
        if height <= box.height:
            break
    deck.writer.table(slide, box, None, rows, (1.0, 1.3), size_pt=size)
    return height


def sector_overview(deck: Deck, sector: Sector) -> None:
    """A sector's first slide: score, status, coverage, change and counts; the status distribution
    as a column chart; the sector pack's key messages (up to five), word for word."""
    ctx, frame, writer = deck.ctx, deck.frame, deck.writer
    result = ctx.result
    roll = result.sector(sector.id)
    messages = key_messages(ctx, sector)
    slide = deck.slide(ctx.t("deck.sector", sector=ctx.text(sector.name)), messages)
    body = frame.body
    # Up to five messages in at most half the body, at the largest size they fit.
    size = MESSAGE_PT
    for size in MESSAGE_SIZES:
        needed = sum(text_height(m, body.width - int(size * 1.1 * 12700), size) + int(size * 0.4 * 12700) for m in messages)
        if needed <= body.height * MESSAGE_SHARE:
            break
    lower = Box(body.x, body.y + body.height - needed, body.width, needed)
    upper = Box(body.x, body.y, body.width, body.height - needed - frame.gap)
    start, end = frame.split(upper, 0.45, deck.rtl)
    indicators = [i for i in result.indicators if i.sector == sector.id]
    projects = [p for p in result.projects if p.sector == sector.id]
    rows: list[list[CellValue]] = [
        [ctx.t("pack.sector_score"), ctx.percent(roll.score)],
        [ctx.t("pack.status"), ctx.status_cell(roll.status)],
        [ctx.t("pack.coverage"), ctx.percent(roll.coverage)],
        [ctx.t("pack.change"), change_text(ctx, roll.trend)],
        [ctx.t("pack.indicator_counts"), ctx.status_counts((i.status for i in indicators), st.STATUSES)],
    ]
    if projects:
        rows.append([ctx.t("pack.project_counts"), ctx.status_counts((p.status for p in projects), st.PROJECT_STATUSES)])
    key_value_table(deck, slide, start, rows)
    top = deck.heading(slide, end, ctx.t("pack.chart_status"))
    items = status_items(ctx, [i.status for i in indicators], st.STATUSES)
    if items:
        writer.bar_chart(slide, Box(end.x, end.y + top, end.width, end.height - top), [label for label, _, _ in items],
                         [count for _, count, _ in items], [st.colour(key) for _, _, key in items], count_format(ctx),
                         horizontal=True, series_name=ctx.t("pack.indicator_counts"))
    else:
        writer.text(slide, Box(end.x, end.y + top, end.width, end.height - top), [ctx.t("pack.chart_no_data")])
    writer.text(slide, lower, messages, size_pt=size, bullets=True)


def sector_attention(deck: Deck, sector: Sector) -> None:
    """A sector's second slide: off-track and stalled indicators with what their entities reported,
    projects behind plan, the sector's proposed decisions (with their plan-wide numbers) — each its
    worst rows, «and K more» for the rest. The notes say what the packs say: the sector's key
    message on each, then every item with what its entity reported (the chair's lists)."""
    ctx, frame, writer = deck.ctx, deck.frame, deck.writer
    facts = sector_facts(ctx, sector)
    lagging, behind = facts.lagging, facts.behind
    mine = [d for d in decisions(ctx) if d.sector_id == sector.id]
    indicator_rows: list[list[CellValue]] = [
        [i.name, i.entity_name, ctx.percent(i.result.achievement), ctx.status_cell(i.result.status),
         ctx.data_text(ctx.join(i.reported.causes)) or ctx.t("facts.no_reasons")] for i in lagging]
    project_rows: list[list[CellValue]] = [
        [p.name, p.entity_name, ctx.percent(p.result.planned), ctx.percent(p.result.actual), ctx.number(p.gap, 1),
         ctx.status_cell(p.result.status)] for p in behind]
    proposal_lines = [decision_text(ctx, d) for d in mine]
    proposal_numbers = [ctx.number(d.number) + "." for d in mine]
    body = frame.body
    headers_i = [ctx.t("column.indicator"), ctx.t("column.entity"), ctx.t("column.achievement"), ctx.t("column.status"),
                 ctx.t("pack.cause")]
    widths_i = (3.6, 2.2, 1.3, 1.4, 4.5)
    headers_p = [ctx.t("column.project"), ctx.t("column.entity"), ctx.t("column.planned"), ctx.t("column.progress"),
                 ctx.t("facts.gap"), ctx.t("column.status")]
    widths_p = (4.2, 2.6, 1.5, 1.5, 1.6, 1.8)
    # What the packs print when a list is empty: the sector's key message, else the pack's line.
    empty_i = indicators_sentence(ctx, facts)
    empty_p = projects_sentence(ctx, facts) or ctx.t("pack.no_projects")
    empty_d = ctx.t("pack.no_proposals")
    notes = [indicators_sentence(ctx, facts)] + [line for i in lagging for line in item_notes(ctx, i)]
    notes += [empty_p] + [line for p in behind for line in item_notes(ctx, p)]
    notes += [decision_sentence(ctx, facts) or empty_d] + [line for d in mine for line in decision_notes(ctx, d)]
    slide = deck.slide(ctx.t("deck.sector_attention", sector=ctx.text(sector.name)), notes)

    def more(count: int, shown: int) -> list[str]:
        return [ctx.t("deck.and_more", count=ctx.number(count - shown))] if count > shown else []

    def height(shown: tuple[int, int, int], size: float) -> int:
        a, b, c = shown
        total = 3 * (text_height("x", body.width, BODY_PT) + frame.gap // 2) + 2 * frame.gap
        total += (writer.table_height(headers_i, indicator_rows[:a], widths_i, body.width, size) if a
                  else text_height(empty_i, body.width, size))
        total += (writer.table_height(headers_p, project_rows[:b], widths_p, body.width, size) if b
                  else text_height(empty_p, body.width, size))
        total += sum(text_height(line, body.width - int(size * 1.8 * 12700), size) for line in proposal_lines[:c]) or \
            text_height(empty_d, body.width, size)
        extra = more(len(lagging), a) + more(len(behind), b) + more(len(mine), c)
        return total + len(extra) * text_height("x", body.width, size)

    shown = [min(len(lagging), MAX_LAGGING), min(len(behind), MAX_BEHIND), min(len(mine), MAX_PROPOSALS)]
    size = TABLE_PT
    while height(tuple(shown), size) > body.height:  # type: ignore[arg-type]
        if size > SMALL_PT:
            size = SMALL_PT
            continue
        largest = max(range(3), key=lambda k: shown[k])
        if shown[largest] <= 1:
            break
        shown[largest] -= 1
    a, b, c = shown
    y = body.y

    def block(title: str, draw) -> None:
        nonlocal y
        y += deck.heading(slide, Box(body.x, y, body.width, 0), title)
        y += draw() + frame.gap

    def table(headers, rows, widths, count, total) -> int:
        used = 0
        if rows[:count]:
            writer.table(slide, Box(body.x, y, body.width, 0), headers, rows[:count], widths, size_pt=size)
            used = writer.table_height(headers, rows[:count], widths, body.width, size)
        return used + lines(more(total, count), offset=used)

    def lines(texts: list[str], numbers: list[str] | None = None, offset: int = 0) -> int:
        if not texts:
            return 0
        indent = int(size * 1.8 * 12700) if numbers else 0
        h = sum(text_height(t, body.width - indent, size) for t in texts)
        writer.text(slide, Box(body.x, y + offset, body.width, h), texts, size_pt=size, numbers=numbers)
        return h

    def lagging_block() -> int:
        if not lagging:
            return lines([empty_i])
        return table(headers_i, indicator_rows, widths_i, a, len(lagging))

    def behind_block() -> int:
        if not behind:
            return lines([empty_p])
        return table(headers_p, project_rows, widths_p, b, len(behind))

    def proposals_block() -> int:
        if not mine:
            return lines([empty_d])
        used = lines(proposal_lines[:c], proposal_numbers[:c])
        return used + lines(more(len(mine), c), offset=used)

    block(ctx.t("deck.lagging"), lagging_block)
    block(ctx.t("deck.behind"), behind_block)
    block(ctx.t("pack.proposed"), proposals_block)


def paged_table(deck: Deck, title: str, headers: list[str], rows: list[list[CellValue]], widths: tuple[float, ...],
                notes: list[str], empty: str, row_notes: list[list[str]] | None = None,
                groups: list[str] | None = None) -> None:
    """Write a table over as many slides as it needs («(تابع)» in the later titles). Every slide's
    notes are ``notes`` and, when given, the ``row_notes`` of the rows it shows. ``groups``: each
    row's group, by which the rows are remembered (:func:`table_rows`); None: not remembered."""
    ctx, frame, writer = deck.ctx, deck.frame, deck.writer
    body = frame.body
    if not rows:
        slide = deck.slide(title, notes)
        writer.text(slide, body, [empty], size_pt=BODY_PT)
        return
    header = writer.table_height(headers, [], widths, body.width, TABLE_PT)
    made = table_rows(deck, rows, widths, row_notes, groups)
    heights = [height for _, height, _ in made]
    pages = split_pages(heights, body.height - header)
    if len(pages) > 1:
        # As many slides, more evenly filled: no last slide holding a row or two.
        even = split_pages(heights, min(body.height - header, sum(heights) // len(pages) + max(heights)))
        pages = even if len(even) == len(pages) else pages
    top = writer.table_row(headers, widths, body.width, TABLE_PT, header=True)
    for number, page in enumerate(pages):
        slide = deck.slide(title if number == 0 else ctx.t("deck.continued", title=title), notes,
                           "".join(made[i][2] for i in page), [line for i in page for line in row_notes[i]] if row_notes else [])
        writer.table_of_rows(slide, body, [top, *((made[i][0], made[i][1]) for i in page)], widths, header=True)


def table_rows(deck: Deck, rows: list[list[CellValue]], widths: tuple[float, ...], row_notes: list[list[str]] | None,
               groups: list[str] | None) -> list[tuple[str, int, str]]:
    """Return each row of a :func:`paged_table` as (XML text, height, its notes' paragraphs as XML
    text), made again from the build's cache for each group of rows whose cells and notes have not
    changed (the decisions of a sector: hundreds in a national plan, those of one sector change)."""
    ctx, writer, width = deck.ctx, deck.writer, deck.frame.body.width

    def make(indexes: list[int]) -> list[tuple[str, int, str]]:
        return [(*writer.table_row(rows[i], widths, width, TABLE_PT), writer.notes_xml(row_notes[i]) if row_notes else "")
                for i in indexes]

    if ctx.remember is None or groups is None:
        return make(list(range(len(rows))))
    members: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    made: list = [None] * len(rows)
    for indexes in members.values():
        # What the rows show, as text (cells are text or Cell values, notes text): the same in any process.
        shown = repr(([rows[i] for i in indexes], [row_notes[i] for i in indexes] if row_notes else None))
        key = ("deck-rows", wording_key(ctx), deck.template_key, ctx.lang, deck.rtl, width, widths,
               hashlib.sha256(shown.encode("utf-8")).hexdigest())
        for index, row in zip(indexes, ctx.remember(key, functools.partial(make, indexes))):
            made[index] = row
    return made


def split_pages(heights: list[int], room: int) -> list[list[int]]:
    """Return the indexes of ``heights`` cut into pages of at most ``room`` each, in order (a row
    taller than the room gets a page of its own)."""
    pages: list[list[int]] = [[]]
    used = 0
    for index, height in enumerate(heights):
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0
        pages[-1].append(index)
        used += height
    return pages


def decisions_slides(deck: Deck) -> None:
    """The decisions: the executive pack's decisions sheet «القرارات المطلوبة من الورشة» — each
    decision with its plan-wide number, wording, sector, owner and proposed due quarter; its
    evidence and the items it covers in the notes of its slide."""
    ctx = deck.ctx
    items = decisions(ctx)
    rows: list[list[CellValue]] = [
        [ctx.number(d.number), decision_text(ctx, d),
         sector_name(ctx, d.sector_id) if d.sector_id else ctx.t("decisions.plan_wide"),
         ctx.entity_name(d.owner) if d.owner else "—", ctx.short_label(d.due)] for d in items]
    notes = [ctx.t("decisions.intro", count=ctx.count(len(items), "decision"))] if items else []
    row_notes = [decision_notes(ctx, d) for d in items]
    paged_table(deck, ctx.t("decisions.title"), [ctx.t("pack.number"), ctx.t("decisions.decision"), ctx.t("column.sector"),
                                                 ctx.t("pack.owner"), ctx.t("decisions.due")],
                rows, (0.7, 8.0, 2.0, 2.6, 1.7), notes or [ctx.t("pack.no_proposals")], ctx.t("pack.no_proposals"),
                row_notes, [d.sector_id or "" for d in items])


def follow_up_slides(deck: Deck) -> None:
    """The follow-up of earlier recommendations: the register with each one's status as of the quarter."""
    ctx = deck.ctx
    items = ctx.register
    rows: list[list[CellValue]] = [
        [item.id, item.text, sector_name(ctx, item.sector_id),
         ctx.entity_name(item.owner_entity) if item.owner_entity else "—",
         ctx.short_label(item.due_period) if item.due_period else "—", recommendation_cell(ctx, item), item.note or "—"]
        for item in items]
    statuses = Counter(item.status for item in items)
    notes = [ctx.t("pack.count_line", label=ctx.t(f"recommendation_status.{key}"), count=ctx.number(statuses[key]))
             for key in ("not_started", "in_progress", "done", "dropped") if statuses[key]]
    overdue = sum(1 for item in items if item.overdue)
    if overdue:
        notes.append(ctx.t("pack.count_line", label=ctx.t("recommendation_status.overdue"), count=ctx.number(overdue)))
    paged_table(deck, ctx.t("pack.follow_up"), [ctx.t("column.id"), ctx.t("pack.recommendation"), ctx.t("column.sector"),
                                                ctx.t("pack.owner"), ctx.t("pack.due"), ctx.t("column.status"),
                                                ctx.t("pack.note")], rows, (1.4, 5.0, 1.8, 2.2, 1.4, 1.6, 2.6),
                notes or [ctx.t("pack.none_reported")], ctx.t("pack.none_reported"))


def sector_slides(deck: Deck, sector: Sector) -> None:
    """A sector's two slides (:func:`sector_overview`, :func:`sector_attention`), made again from
    the build's cache when nothing they show has changed: keyed by everything the sector's pack
    shows (:func:`review.compose.sections.sector_key`), the plan and wording, and the deck's master."""
    ctx = deck.ctx
    made: list[bool] = []

    def compute() -> list[tuple[list[str], str, tuple]]:
        first = len(deck.slides)
        sector_overview(deck, sector)
        sector_attention(deck, sector)
        made.append(True)
        return [(deck.notes[n], deck.writer.notes_xml(deck.notes[n]), deck.writer.export_slide(deck.slides[n]))
                for n in range(first, len(deck.slides))]

    if ctx.remember is None:
        compute()
        return
    # The charts' workbooks are kept stamped with SOURCE_DATE_EPOCH (see DeckWriter.export_slide).
    key = ("deck-sector", wording_key(ctx), sector_digest(ctx, sector), deck.template_key, source_date_time())
    kept = ctx.remember(key, compute)
    if not made:
        for notes, notes_xml, shapes in kept:
            deck.slides.append(deck.writer.import_slide(notes_xml, shapes))
            deck.notes.append(notes)


def write_deck(ctx: PackContext, template: bytes | None = None) -> bytes:
    """Return ``deck.pptx`` for the workshop: the slides listed in the module's docstring.

    ``template``: a deck template's bytes (``review.office.pptx.read_template``), None for the
    default master at 16:9. The same context gives the same bytes (``SOURCE_DATE_EPOCH`` stamps the zip).
    """
    deck = Deck(ctx, template)
    plan = ctx.plan
    deck.writer.set_properties(f"{ctx.text(plan.title)} — {ctx.t('pack.workshop')}", ctx.period_label(),
                               ctx.text(plan.organization), dt.datetime.combine(ctx.issue_date, dt.time()))
    title_slide(deck)
    agenda_slide(deck)
    glance_slide(deck)
    for sector in plan.sectors:
        sector_slides(deck, sector)
    decisions_slides(deck)
    follow_up_slides(deck)
    return deck.finish()
