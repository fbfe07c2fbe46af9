"""The briefing pack's vocabulary: title, headings, tables, pictures, contents, header and footer.

:class:`PackWriter` builds one Word document on a template and returns deterministic bytes;
it never spells an OOXML tag (``review.office.word.rtl`` does). Direction follows the pack's language:
``"ar"`` makes every paragraph, run, table and section right to left, ``"en"`` makes them
explicitly left to right (the default template is Arabic, so "off" has to be written).

Any ``.docx`` can serve as the template (an organisation's letterhead): its body is cleared,
its headers, footers and styles are kept, and a style the writer asks for but the template
lacks falls back to Normal plus direct formatting.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, Union

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_BREAK
from docx.shared import Cm, Emu, Pt
from docx.table import _Cell
from lxml import etree

from review.office.word import digits, measure, rtl
from review.office.word.template import open_template
from review.office.package import MAX_PROPERTY_CHARS, fit_text, normalize_zip, patch_zip, source_date_time, zip_parts

LANGUAGES = ("ar", "en")
#: Fallback complex-script font when the template names none.
FALLBACK_FONT = "Arial"
#: Colours (RGB hex, no '#').
HEADER_FILL = "1F4E79"
HEADER_TEXT = "FFFFFF"
KEY_FILL = "F2F2F2"
RULE = "BFBFBF"
DRAFT_COLOUR = "C00000"
#: Font size of table text, points.
TABLE_SIZE_PT = 10.0
#: Smallest size a table's text is shrunk to so that its longest words fit the text width.
MIN_TABLE_PT = 7.5
#: Smallest size a table keeps on a portrait page; below it the table gets a landscape page.
PORTRAIT_MIN_PT = 8.0
#: A cell's inner margins and borders (the template's 0.15 cm a side, Word's default 0.19 cm),
#: with room to spare, in EMU.
CELL_PADDING = int(Cm(0.45))
_TWIP = 635  # EMU

_LRM = "\u200e"  # LEFT-TO-RIGHT MARK
_RLM = "\u200f"  # RIGHT-TO-LEFT MARK
_MINUS = "\u2212"  # MINUS SIGN

# Characters XML 1.0 forbids (python-docx raises on them); tab and newline are kept.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A sign that starts a number written in Western digits: "-12.5", "+3.0 نقطة".
_SIGNED_NUMBER = re.compile(r"(?<![\w.,])([+\-\u2212])(?=[0-9])")
_HYPHEN_MINUS_NUMBER = re.compile(r"(?<![\w.,])-(?=[0-9٠-٩])")
# A Latin word (an id such as "IND-01") directly followed by a number.
_LATIN_BEFORE_NUMBER = re.compile(r"([A-Za-z][A-Za-z0-9_\-./]*)(?=[ \t]+[+\-\u2212]?[0-9])")

_PLACEHOLDERS = {
    "ar": {"logo": "شعار الجهة"},
    "en": {"logo": "Organisation logo"},
}
#: Names of the headings' bookmarks: Word hides bookmarks whose name starts with "_" (as its own
#: "_Toc…" ones), so the reader's bookmark list stays empty.
BOOKMARK_PREFIX = "_Toc"
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u0671-\u06d3\ufb50-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_FIELD = re.compile(r"\{(PAGE|NUMPAGES)\}")
_TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'


@dataclass(frozen=True)
class Cell:
    """A table cell with its own formatting; ``fill``/``colour`` are RGB hex without '#'.

    ``align`` is ``start``, ``center``, ``end`` or ``justify``; None means start, or center
    when the cell is filled (a status cell).
    """

    text: str
    fill: str | None = None
    colour: str | None = None
    bold: bool = False
    align: str | None = None
    #: Set right to left inside a left-to-right pack (Arabic text quoted in an English pack).
    rtl: bool = False


@dataclass(frozen=True)
class Span:
    """A piece of a paragraph with its own weight or colour (RGB hex without '#')."""

    text: str
    bold: bool = False
    colour: str | None = None


CellValue = Union[str, Cell, None]


@dataclass(frozen=True)
class Row:
    """A table row made ready by :meth:`PackWriter.row`: its cells with their text as the writer
    writes it (and, in an English pack, Arabic set right to left), and its cells' measurements by
    font size. Plain values: a caller may keep a row (the build's cache) and give it to
    :meth:`PackWriter.table` of another writer of the same language, unchanged rows then cost no
    preparing or measuring again."""

    #: Each cell as the fields of a :class:`Cell` in their order, ``(text, fill, colour, bold, align,
    #: rtl)``: plain tuples, which the cache reads back five times faster than cells.
    cells: tuple[tuple[str, str | None, str | None, bool, str | None, bool], ...]
    lang: str
    #: Whether a cell quotes Arabic in an English pack (the table is followed by :attr:`PackWriter.quoted_note`).
    quoted: bool = False
    #: Font size → each cell's (least, most) width in EMU, as :func:`fit_columns` counts them.
    measures: dict = field(default_factory=dict, compare=False)

    def measure(self, size_pt: float) -> tuple[tuple[int, int], ...]:
        """Return each cell's (longest word, longest line) width in EMU at ``size_pt``, padding
        included (measured once per size; a status cell is kept on one line)."""
        found = self.measures.get(size_pt)
        if found is None:
            found = self.measures[size_pt] = tuple(_cell_widths(text, bold, fill is not None, size_pt)
                                                   for text, fill, _, bold, _, _ in self.cells)
        return found


def clean_text(text: object) -> str:
    """Return ``text`` as a string Word accepts: XML-illegal control characters removed.

    None becomes ''. Carriage returns become newlines (written as line breaks); tabs stay.
    """
    if text is None:
        return ""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL_XML.sub("", value)


def typeset_minus(text: str) -> str:
    """Return ``text`` with the hyphen-minus of a negative number replaced by U+2212 MINUS SIGN.

    A hyphen allows a line break after it, so a narrow table cell showed "-" on one line and
    "0.1" on the next; the minus sign does not (and is the right glyph). "2024-2025" and
    "IND-01" are left alone.
    """
    return _HYPHEN_MINUS_NUMBER.sub(_MINUS, text)


def protect_mixed_text(text: str) -> str:
    """Return ``text`` with invisible direction marks so numbers read right in Arabic lines.

    In a right-to-left paragraph the Unicode bidi algorithm would show "-12.5" as "12.5-" and
    would glue a Latin id to the number after it ("IND-01 85%" read as one left-to-right
    phrase). A LEFT-TO-RIGHT MARK before a sign keeps it with its number; a RIGHT-TO-LEFT MARK
    after a Latin word keeps the following number in the Arabic order. Arabic-Indic digits
    need neither. Idempotent.
    """
    text = _SIGNED_NUMBER.sub(lambda m: _LRM + m.group(1), text.replace(_LRM, ""))
    return _LATIN_BEFORE_NUMBER.sub(lambda m: m.group(1) + _RLM, text.replace(_RLM, ""))


class PackWriter:
    """Write one briefing pack (a Word document) in Arabic (right to left) or English.

    ``template`` is a ``.docx`` (or ``.dotx``) whose styles, headers and footers are kept and whose
    body is discarded (see ``template.open_template``: external relationships are removed, an
    unsafe or broken file raises InputError); None uses the project's ``templates/briefing.docx``.
    Raises ValueError for a ``lang`` other than ``"ar"``/``"en"``.
    """

    def __init__(self, template: Path | str | None = None, lang: str = "ar",
                 quoted_note: str | None = None) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang: expected one of {LANGUAGES}, got {lang!r}")
        self.lang = lang
        self.rtl = lang == "ar"
        #: Printed under a table of an English pack that quotes Arabic text (set right to left).
        self.quoted_note = quoted_note
        self._document = open_template(template)
        for section in self._document.sections:
            rtl.set_section_direction(section, self.rtl)
        self._styles = {style.name: style for style in self._document.styles}
        self._table_style_ids: dict[str, str | None] = {}
        self._table_styles = {name: style for name, style in self._styles.items()
                              if style.type == WD_STYLE_TYPE.TABLE}
        self._paragraph_styles = {name: style for name, style in self._styles.items()
                                  if style.type == WD_STYLE_TYPE.PARAGRAPH}
        normal = self._paragraph_style("Normal")
        self._font = rtl.resolve_style_run(normal, self._document.styles)["cs_font"] or FALLBACK_FONT
        self._run_defaults: dict[str | None, dict] = {}
        self._headings: list[tuple[int, str, str]] = []
        self._toc_paragraph = None
        self._finished = False

    # -- Body ------------------------------------------------------------------------------

    def title(self, text: str) -> None:
        """Add the cover title (style Title; bold, large and centred without it)."""
        if self._paragraph_style("Title") is not None:
            self._add_paragraph(text, style="Title")
        else:
            self._add_paragraph(text, bold=True, size_pt=24, align="center")

    def subtitle(self, text: str) -> None:
        """Add a cover subtitle line (style Subtitle; centred without it)."""
        if self._paragraph_style("Subtitle") is not None:
            self._add_paragraph(text, style="Subtitle")
        else:
            self._add_paragraph(text, size_pt=16, align="center")

    def heading(self, text: str, level: int = 1) -> None:
        """Add a heading of ``level`` 1–3 (deeper levels are written as 3); listed in the TOC."""
        level = min(max(int(level), 1), 3)
        style = f"Heading {level}"
        if self._paragraph_style(style) is not None:
            paragraph = self._add_paragraph(text, style=style)
        else:
            paragraph = self._add_paragraph(text, bold=True, size_pt={1: 18, 2: 15, 3: 13}[level])
            rtl.set_outline_level(paragraph, level - 1)
        paragraph.paragraph_format.keep_with_next = True
        # A bookmark on every heading: the target of its contents link (and of the page number
        # the LibreOffice pass writes, see number_contents).
        number = len(self._headings) + 1
        anchor = f"{BOOKMARK_PREFIX}{number:06d}"
        rtl.add_bookmark(paragraph, number, anchor)
        self._headings.append((level, clean_text(text), anchor))

    def paragraph(self, text: str | Sequence[Span], *, bold: bool = False,
                  align: str | None = None, style: str | None = None,
                  size_pt: float | None = None, colour: str | None = None,
                  keep_with_next: bool = False) -> None:
        """Add a body paragraph; ``text`` may be a list of :class:`Span` for mixed weights.

        ``align`` is ``start`` (default), ``center``, ``end`` or ``justify``; ``style`` a
        paragraph style name (Normal when the template lacks it); ``colour`` RGB hex;
        ``keep_with_next`` keeps it on the page of what follows (a table's title).
        """
        paragraph = self._add_paragraph(text, bold=bold, align=align, style=style, size_pt=size_pt,
                                        colour=colour)
        if keep_with_next:
            paragraph.paragraph_format.keep_with_next = True

    def bullets(self, items: Sequence[str | Sequence[Span]]) -> None:
        """Add a bulleted list, one paragraph per item (style List Bullet, else '•' prefixed).

        In an English pack an item in Arabic is set right to left.
        """
        has_style = self._paragraph_style("List Bullet") is not None
        # The first plain item of each direction is written through python-docx, the next ones are
        # copies of it with their own text (a national plan lists hundreds of named sources).
        finished: dict = {}
        body = self._document.element.body
        for item in items:
            quoted = not self.rtl and isinstance(item, str) and is_arabic(item)
            plain = has_style and isinstance(item, str) and bool(self._prepare(item))
            if plain and quoted in finished:
                p = deepcopy(finished[quoted])
                p.r_lst[0].text = self._prepare(item)  # as add_run writes it: the run's format kept
                body._insert_p(p)
                continue
            if has_style:
                paragraph = self._add_paragraph(item, style="List Bullet")
            elif isinstance(item, str):
                paragraph = self._add_paragraph("• " + item)
            else:
                paragraph = self._add_paragraph([Span("• "), *item])
            if quoted:
                # Arabic the entities wrote (a source they named), quoted in an English pack.
                rtl.set_paragraph_direction(paragraph, True)
                for run in paragraph.runs:
                    rtl.set_run_direction(run, True)
            if plain and len(paragraph._p) == 2 and len(paragraph.runs) == 1:  # its properties and its run
                finished[quoted] = deepcopy(paragraph._p)

    def key_value_table(self, rows: Sequence[tuple[str, CellValue]],
                        widths_cm: tuple[float | None, float | None] | None = None) -> None:
        """Add a two-column table of labels (shaded, bold) and values, without a header row.

        Without ``widths_cm``: a 6 cm label column (wider when a label's word needs it) and the
        rest of the text width; with it, columns fitted to their words (see :func:`fit_columns`).
        """
        texts = [[(self._prepare(key), True, False),
                  (self._prepare(value.text if isinstance(value, Cell) else ("" if value is None else str(value))),
                   isinstance(value, Cell) and value.bold, False)] for key, value in rows]
        widths, _ = fit_columns(texts, 2, self._text_width(), TABLE_SIZE_PT, shrink=False, header=False)
        if widths_cm is None:
            # A 6 cm label column when its longest word fits in it (the usual case).
            label = max(Cm(6.0), min(widths[0], self._text_width() // 2))
            widths = [label, self._text_width() - label]
        table = self._new_table(len(rows), 2, widths, header_row=False)
        for row, (key, value) in zip(table.rows, rows):
            rtl.keep_row_together(row)
            key_cell, value_cell = row.cells
            self._fill_cell(key_cell, Cell(key, fill=KEY_FILL, bold=True, align="start"))
            self._fill_cell(value_cell, value)
        self._after_table()

    def row(self, values: Sequence[CellValue], size_pt: float | None = None) -> Row:
        """Return a table row of ``values`` made ready for :meth:`table`, measured at ``size_pt``
        when given (the size of the table it goes in: measured now, the row can be kept with it)."""
        cells = []
        quoted = False
        for given in values:
            value = given if isinstance(given, Cell) else Cell("" if given is None else str(given))
            marked = value.rtl
            if not self.rtl and is_arabic(value.text):
                # Arabic that entities wrote, quoted in an English pack: right to left in its cell.
                marked = quoted = True
            cells.append((self._prepare(value.text), value.fill, value.colour, value.bold, value.align, marked))
        made = Row(tuple(cells), self.lang, quoted)
        if size_pt is not None:
            made.measure(size_pt)
        return made

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[CellValue] | Row],
              widths_cm: Sequence[float] | None = None, header_fill: str = HEADER_FILL,
              header_colour: str = HEADER_TEXT, size_pt: float = TABLE_SIZE_PT,
              min_widths_cm: Sequence[float] | None = None, keep_together: bool = False) -> None:
        """Add a table with a shaded header row repeated on every page.

        A cell is a ``str`` or a :class:`Cell` (status cells carry their fill colour); a row may
        also be a :class:`Row` this writer's language made (:meth:`row`). The
        first column is on the right in Arabic. Columns are fitted to their text (see
        :func:`fit_columns`): no word is ever broken, the table spans the text width, and its
        text shrinks (to 8 pt at least) when its longest words would not fit, and the table goes on
        a landscape page when even that is too wide (7.5 pt there at least); ``widths_cm`` is
        accepted for compatibility and ignored; ``min_widths_cm`` reserves room (a column left
        blank to be signed). Rows never break across pages, the header row stays with the first
        row, and ``keep_together`` keeps a short table on one page. In an English pack a cell whose
        text is Arabic is set right to left, and :attr:`quoted_note` is printed under the table.
        Short rows are padded with empty cells; extra cells (or a row of another language) raise ValueError.
        """
        columns = len(headers)
        made: list[Row] = []
        for index, given in enumerate(rows):
            row = given if isinstance(given, Row) else self.row(given)
            if len(row.cells) > columns:
                raise ValueError(f"table row {index + 1}: expected at most {columns} cells, "
                                 f"got {len(row.cells)}")
            if row.lang != self.lang:
                raise ValueError(f"table row {index + 1}: made for a {row.lang!r} pack, not {self.lang!r}")
            made.append(row)
        header_texts = [self._prepare(h) for h in headers]

        def measured(size: float) -> Sequence[Sequence[tuple[int, int]]]:
            # The header wraps at its spaces rather than claim room from the data.
            return [tuple(_cell_widths(text, True, False, size, header=True) for text in header_texts)] + \
                [row.measure(size) for row in made]

        # Portrait while the longest words fit at PORTRAIT_MIN_PT or more; else a landscape page.
        portrait = _fit(measured, columns, self._text_width(), size_pt, minimums=min_widths_cm,
                        smallest=PORTRAIT_MIN_PT)
        fits = sum(portrait[0]) <= self._text_width()
        turned = not fits and not self._landscape()
        if turned:  # the longest words do not fit a portrait page: a landscape one, headings and all
            self._turn_for_table()
        # Where the words fit, fitting again down to the smaller size would stop at the same size.
        widths, size_pt = portrait if fits else _fit(measured, columns, self._text_width(), size_pt,
                                                     minimums=min_widths_cm)
        quoted = any(row.quoted for row in made)
        table = self._new_table(1, columns, widths)
        # Work on the row and cell elements directly: python-docx's row/cell objects cost a
        # grid walk each, which adds up over a national plan's tables. The first cell of each
        # format is formatted through the verbs of ``rtl``; the others are copies of it.
        tbl = table._tbl
        header = tbl.tr_lst[0]
        blanks = [deepcopy(tc) for tc in header.tc_lst]  # fresh cells of each column's width
        rtl.mark_repeat_header(header)
        prototypes: dict = {}
        for tc, text in zip(header.tc_lst, headers):
            value = Cell(text, fill=header_fill, colour=header_colour, bold=True, align="center")
            prototype = prototypes.get(_cell_key(value))
            if prototype is None or not rtl.fill_cell_like(tc, prototype, self._prepare(value.text)):
                self._fill_tc(table, tc, value, size_pt, prototypes)
        rtl.keep_row_with_next(header)
        blank_row = deepcopy(header)
        for tc in blank_row.tc_lst:
            blank_row.remove(tc)
        if blank_row.trPr is not None:
            blank_row.remove(blank_row.trPr)
        rtl.keep_row_together(blank_row)
        templates: dict = {}
        empty = ("", None, None, False, None, False)
        for row in made:
            tr = deepcopy(blank_row)
            tbl.append(tr)
            cells = row.cells
            for index, blank in enumerate(blanks):
                cell = cells[index] if index < len(cells) else empty
                text, fill, colour, bold, align, marked = cell  # its text as written: the row prepared it
                key = (align or ("center" if fill else None), bold, colour, fill, marked)  # as _cell_key
                template = templates.get((index, key, bool(text)))
                if template is None and key in prototypes:
                    template = rtl.cell_template(blank, prototypes[key], bool(text))
                    templates[(index, key, bool(text))] = template
                if template is not None:
                    tr.append(rtl.cell_from_template(template, text))
                else:
                    tc = deepcopy(blank)
                    tr.append(tc)
                    self._fill_tc(table, tc, Cell(*cell), size_pt, prototypes)
        if keep_together:
            for tr in tbl.tr_lst[:-1]:
                rtl.keep_row_with_next(tr)
        self._after_table()
        if quoted and self.quoted_note:
            self._add_paragraph(self.quoted_note, size_pt=9, colour="595959")
        if turned:
            self.orientation(landscape=False)

    def _fill_tc(self, table, tc, value: Cell, size_pt: float, prototypes: dict) -> None:
        """Fill one cell through python-docx and remember its format as the prototype of its kind."""
        self._fill_cell(_Cell(tc, table), value, size_pt)
        if value.text:
            prototypes[_cell_key(value)] = rtl.cell_prototype(tc)

    def picture(self, png_bytes: bytes, alt_text: str, width_cm: float | None = None,
                caption: str | None = None) -> None:
        """Add a centred picture (PNG/JPEG bytes) with alternative text and an optional caption.

        ``width_cm`` None uses the text width; a picture taller than 60% of the text height
        is scaled down to fit.
        """
        paragraph = self._add_paragraph("", align="center")
        run = paragraph.add_run()
        self._format_run(run, None)
        width = Cm(width_cm) if width_cm else self._text_width()
        shape = run.add_picture(io.BytesIO(png_bytes), width=width)
        max_height = int(self._text_height() * 0.6)
        if shape.height > max_height:
            shape.width = Emu(int(shape.width * max_height / shape.height))
            shape.height = Emu(max_height)
        rtl.set_picture_description(shape, clean_text(alt_text))
        if caption:
            paragraph.paragraph_format.keep_with_next = True
            if self._paragraph_style("Caption") is not None:
                self._add_paragraph(caption, style="Caption")
            else:
                self._add_paragraph(caption, size_pt=10, align="center")

    def logo(self, png_bytes: bytes, width_cm: float = 3.5, alt_text: str | None = None) -> None:
        """Add the organisation's logo, centred, at the current place (the top of the cover)."""
        paragraph = self._add_paragraph("", align="center")
        run = paragraph.add_run()
        self._format_run(run, None)
        shape = run.add_picture(io.BytesIO(png_bytes), width=Cm(width_cm))
        rtl.set_picture_description(shape, clean_text(alt_text or _PLACEHOLDERS[self.lang]["logo"]))

    def toc(self, title: str) -> None:
        """Add a table of contents: a title and a real ``TOC`` field over heading levels 1–3.

        The field's result lists every heading of the document as an internal link to the
        heading's bookmark, without page numbers: a draft is never laid out. :func:`number_contents`
        adds the page numbers a layout found (``review.office.pdf.number_pages``). Word is never
        asked to update fields on opening, and no instruction is printed.
        """
        if self._paragraph_style("TOC Heading") is not None:
            self._add_paragraph(title, style="TOC Heading")
        else:
            self._add_paragraph(title, bold=True, size_pt=16)
        self._toc_paragraph = self._add_paragraph("")

    def page_break(self) -> None:
        """Start a new page."""
        paragraph = self._add_paragraph("")
        run = paragraph.add_run()
        self._format_run(run, None)
        run.add_break(WD_BREAK.PAGE)

    def orientation(self, landscape: bool) -> None:
        """Continue on a new page in landscape (for wide tables) or portrait orientation.

        Starts a new section only when the orientation changes (else just a page break); the new
        section keeps the direction, margins, headers and footers of the one before.
        """
        current = self._document.sections[-1]
        if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
            self.page_break()
            return
        section = self._document.add_section(WD_SECTION.NEW_PAGE)
        # python-docx moved the previous section's properties into a new last paragraph.
        rtl.set_paragraph_direction(self._document.paragraphs[-1], self.rtl)
        width, height = section.page_width, section.page_height
        if (width > height) != landscape:
            section.page_width, section.page_height = height, width
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        rtl.set_section_direction(section, self.rtl)

    def _landscape(self) -> bool:
        return self._document.sections[-1].orientation == WD_ORIENT.LANDSCAPE

    def _turn_for_table(self) -> None:
        """Continue in landscape, taking along the headings just written (kept with the table)."""
        body = self._document.element.body
        kept = rtl.detach_trailing_kept(body)
        if rtl.last_section_is_empty(body):
            # Nothing written since the last section break (e.g. a landscape table just ended):
            # turn that section instead of leaving it as an empty page.
            section = self._document.sections[-1]
            width, height = section.page_width, section.page_height
            if width is not None and height is not None and width < height:
                section.page_width, section.page_height = height, width
            section.orientation = WD_ORIENT.LANDSCAPE
        else:
            self.orientation(landscape=True)
        rtl.append_to_body(body, kept)

    # -- Header, footer, properties --------------------------------------------------------

    def set_header(self, text: str, draft_mark: str | None = None) -> None:
        """Write the page header on every page: an optional draft marking line, then ``text``.

        Existing template header content (a letterhead) is kept above the lines added.
        """
        for header in self._page_parts("header"):
            paragraphs = self._part_paragraphs(header)
            if draft_mark:
                paragraph = self._part_paragraph(header, paragraphs)
                self._write(paragraph, draft_mark, "Header", bold=True, colour=DRAFT_COLOUR,
                            size_pt=11)
                rtl.set_paragraph_alignment(paragraph, "center")
            paragraph = self._part_paragraph(header, paragraphs)
            self._write(paragraph, text, "Header")
            rtl.set_bottom_border(paragraph, RULE, size_eighths=4, space_pt=2)

    def set_footer(self, text: str | None, page_format: str, arabic_digits: bool = False) -> None:
        """Write the page footer on every page: the page line, then ``text`` (e.g. a marking).

        ``page_format`` holds ``{PAGE}`` and ``{NUMPAGES}``, e.g. ``"صفحة {PAGE} من {NUMPAGES}"``
        or ``"Page {PAGE} of {NUMPAGES}"``; they become live Word fields. ``arabic_digits``: they are
        drawn in Arabic-Indic digits in Word and LibreOffice whatever the reader's numeral setting,
        set in the embedded font *Review Digits* (:mod:`review.office.word.digits`), whose digits
        are Arabic-Indic. No page number format of the file does it: Word has no such format
        (``hindiNumbers`` / ``\\* HINDIARABIC`` are Devanagari digits १, २, ३, [MS-DOCX] 2.4;
        ``arabicAlpha`` / ``arabicAbjad`` are letters), and LibreOffice 7.4 reads no ``w:pgNumType``
        value nor ``\\*`` switch as Arabic-Indic digits; both compute the number afresh and draw it
        in the digits of the reader's numeral setting, in the font of the field's runs.
        """
        if arabic_digits:
            digits.embed(self._document)
        for footer in self._page_parts("footer"):
            paragraphs = self._part_paragraphs(footer)
            paragraph = self._part_paragraph(footer, paragraphs)
            self._direct(paragraph)
            for piece in _FIELD.split(clean_text(page_format)):
                if piece in ("PAGE", "NUMPAGES"):
                    for run in rtl.add_field(paragraph, piece, "١" if arabic_digits else "1"):
                        self._format_run(run, "Footer")
                        if arabic_digits:
                            rtl.set_run_fonts(run, latin=digits.FONT_NAME, cs=digits.FONT_NAME)
                elif piece:
                    self._format_run(paragraph.add_run(self._prepare(piece)), "Footer")
            rtl.set_paragraph_alignment(paragraph, "center")
            if text:
                paragraph = self._part_paragraph(footer, paragraphs)
                self._write(paragraph, text, "Footer", bold=True)
                rtl.set_paragraph_alignment(paragraph, "center")

    def set_properties(self, title: str, subject: str, author: str,
                       created: dt.datetime | dt.date) -> None:
        """Set the document properties from the input (never from the clock).

        ``created`` is also the modification time; a naive datetime is taken as UTC, a date
        as its midnight. A title, subject or author over Word's 255 characters is cut, ending in "…".
        """
        if not isinstance(created, dt.datetime):
            created = dt.datetime(created.year, created.month, created.day)
        if created.tzinfo is not None:
            created = created.astimezone(dt.timezone.utc).replace(tzinfo=None)
        core = self._document.core_properties
        author = fit_text(clean_text(author), MAX_PROPERTY_CHARS)
        core.title = fit_text(clean_text(title), MAX_PROPERTY_CHARS)
        core.subject = fit_text(clean_text(subject), MAX_PROPERTY_CHARS)
        core.author = author
        core.last_modified_by = author
        core.created = created
        core.modified = created
        core.revision = 1
        core.comments = ""
        core.language = "ar-SA" if self.rtl else "en-US"

    def to_bytes(self) -> bytes:
        """Return the finished document as ``.docx`` bytes, identical for identical input.

        Zip timestamps come from ``SOURCE_DATE_EPOCH`` (1980-01-01 when unset).
        """
        self._finish()
        parts = _package_parts(self._document)
        if parts is not None:
            return zip_parts(parts, source_date_time())
        buffer = io.BytesIO()
        self._document.save(buffer)
        return normalize_zip(buffer.getvalue(), source_date_time())

    # -- Internals -------------------------------------------------------------------------

    def _finish(self) -> None:
        """Fill the contents field's cached result; runs once."""
        if self._finished:
            return
        self._finished = True
        if not self._document.paragraphs and not self._document.tables:
            self._add_paragraph("")
        if self._toc_paragraph is None:
            return
        anchor = self._toc_paragraph
        entries = []
        # The page number's tab stop: at the end of the contents page's line.
        tab_twips = int(self._text_width(0) / 635)
        for level, text, bookmark in self._headings:
            style = f"toc {level}" if self._paragraph_style(f"toc {level}") is not None else None
            entry = anchor.insert_paragraph_before(style=self._paragraph_style(style) if style else None)
            self._write(entry, text, style)
            rtl.link_to_bookmark(entry, bookmark)
            rtl.set_end_tab(entry, tab_twips)
            entries.append(entry)
        first = entries[0] if entries else anchor
        begin_runs = rtl.begin_field(first, _TOC_INSTRUCTION)
        # The field must open before the entry's text: move its runs to the paragraph start.
        properties_count = 1 if first._p.pPr is not None else 0
        for offset, run in enumerate(begin_runs):
            first._p.insert(properties_count + offset, run._r)
            self._format_run(run, None)
        self._format_run(rtl.end_field(anchor), None)

    def _paragraph_style(self, name: str | None):
        if name is None:
            return None
        return self._paragraph_styles.get(name)

    def _style_run(self, style_name: str | None) -> dict:
        if style_name not in self._run_defaults:
            style = self._paragraph_style(style_name) or self._paragraph_style("Normal")
            self._run_defaults[style_name] = rtl.resolve_style_run(style, self._document.styles)
        return self._run_defaults[style_name]

    def _prepare(self, text: object) -> str:
        value = typeset_minus(clean_text(text))
        return protect_mixed_text(value) if self.rtl else value

    def _format_run(self, run, style_name: str | None, *, bold: bool = False,
                    size_pt: float | None = None, colour: str | None = None) -> None:
        defaults = self._style_run(style_name)
        rtl.set_run_direction(
            run, self.rtl, cs_font=defaults["cs_font"] or self._font,
            size_pt=size_pt if size_pt is not None else defaults["size_pt"],
            bold=True if (bold or defaults["bold"]) else None)
        if colour:
            rtl.set_run_colour(run, colour)

    def _direct(self, paragraph, align: str | None = None) -> None:
        rtl.set_paragraph_direction(paragraph, self.rtl)
        if align is not None:
            rtl.set_paragraph_alignment(paragraph, align)

    def _write(self, paragraph, text: str | Sequence[Span], style_name: str | None, *,
               bold: bool = False, size_pt: float | None = None,
               colour: str | None = None) -> None:
        self._direct(paragraph)
        spans = [Span(text)] if isinstance(text, str) or text is None else list(text)
        for span in spans:
            if isinstance(span, str):
                span = Span(span)
            value = self._prepare(span.text)
            if not value:
                continue
            run = paragraph.add_run(value)
            self._format_run(run, style_name, bold=bold or span.bold, size_pt=size_pt,
                             colour=span.colour or colour)

    def _add_paragraph(self, text: str | Sequence[Span], *, bold: bool = False,
                       align: str | None = None, style: str | None = None,
                       size_pt: float | None = None, colour: str | None = None):
        style_obj = self._paragraph_style(style)
        paragraph = self._document.add_paragraph()
        if style_obj is not None:
            # By id: assigning the style object makes python-docx scan every style each time.
            paragraph._p.style = style_obj.style_id
        self._direct(paragraph, align)
        self._write(paragraph, text, style if style_obj is not None else None, bold=bold,
                    size_pt=size_pt, colour=colour)
        return paragraph

    def _text_width(self, index: int = -1) -> int:
        """Return a section's (default: the last one's) width between its margins, in EMU."""
        section = self._document.sections[index]
        width, left, right = section.page_width, section.left_margin, section.right_margin
        # python-docx answers None only for a section without page size or margins; the template sets both.
        assert width is not None and left is not None and right is not None
        return width - left - right

    def _text_height(self) -> int:
        """Return the last section's height between its margins, in EMU."""
        section = self._document.sections[-1]
        height, top, bottom = section.page_height, section.top_margin, section.bottom_margin
        # As in _text_width: the template sets the page size and margins of every section.
        assert height is not None and top is not None and bottom is not None
        return height - top - bottom

    def _new_table(self, rows: int, columns: int, widths: Sequence[int], header_row: bool = True):
        table = self._document.add_table(rows=rows, cols=columns)
        table_styles = self._table_styles
        if "Review Table" in table_styles:
            self._set_table_style(table, table_styles["Review Table"])
        else:
            if "Table Grid" in table_styles:
                self._set_table_style(table, table_styles["Table Grid"])
            rtl.set_table_borders(table, RULE)
        rtl.set_table_direction(table, self.rtl)
        rtl.set_table_look(table, first_row=header_row)
        rtl.set_table_layout_fixed(table)
        for column, width in zip(table.columns, widths):
            column.width = Emu(width)
        for tr in table._tbl.tr_lst:
            for tc, width in zip(tr.tc_lst, widths):
                tc.width = Emu(width)
        return table

    def _set_table_style(self, table, style) -> None:
        # What ``table.style = style`` does, with the style's id looked up once per writer:
        # python-docx scans every style of the document on each assignment.
        if style.name not in self._table_style_ids:
            self._table_style_ids[style.name] = self._document.part.get_style_id(style, WD_STYLE_TYPE.TABLE)
        table._tbl.tblStyle_val = self._table_style_ids[style.name]

    def _fill_cell(self, cell, value: CellValue, size_pt: float = TABLE_SIZE_PT) -> None:
        if not isinstance(value, Cell):
            value = Cell("" if value is None else str(value))
        paragraph = cell.paragraphs[0]
        align = value.align or ("center" if value.fill else None)
        self._direct(paragraph, align)
        fmt = paragraph.paragraph_format
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.line_spacing = 1.0
        self._write(paragraph, value.text, None, bold=value.bold, size_pt=size_pt,
                    colour=value.colour)
        if value.rtl and not self.rtl:
            rtl.set_paragraph_direction(paragraph, True)
            for run in paragraph.runs:
                rtl.set_run_direction(run, True)
        cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
        if value.fill:
            rtl.shade_cell(cell, value.fill)

    def _after_table(self) -> None:
        # A small gap after the table; without a paragraph two tables would merge.
        paragraph = self._add_paragraph("")
        paragraph.paragraph_format.space_after = Pt(4)

    def _page_parts(self, kind: str):
        """Yield every header (or footer) a page can show, unlinked from previous sections."""
        odd_even = self._document.settings.odd_and_even_pages_header_footer
        for section in self._document.sections:
            parts = [getattr(section, kind)]
            if section.different_first_page_header_footer:
                parts.append(getattr(section, f"first_page_{kind}"))
            if odd_even:
                parts.append(getattr(section, f"even_page_{kind}"))
            for part in parts:
                part.is_linked_to_previous = False
                yield part

    @staticmethod
    def _part_paragraphs(part) -> list:
        """Return the blank paragraphs a header/footer offers for reuse (none after content)."""
        has_content = any(p.text.strip() for p in part.paragraphs) or bool(part.tables) \
            or any(rtl.picture_descriptions(p) for p in part.paragraphs)
        return [] if has_content else [p for p in part.paragraphs if not p.text.strip()]

    def _part_paragraph(self, part, reusable: list):
        paragraph = reusable.pop(0) if reusable else part.add_paragraph()
        header_style = self._paragraph_style("Header" if "header" in type(part).__name__.lower()
                                             else "Footer")
        if header_style is not None:
            paragraph.style = header_style
        return paragraph


def _package_parts(document) -> dict[str, bytes] | None:
    """Return a document's package as ``{zip entry name: bytes}``, the parts python-docx's ``save``
    writes, or None when this python-docx lacks the package writer's steps used here.

    ``save`` deflates every part into a zip that :func:`normalize_zip` would inflate and deflate
    again; collected here, the parts are deflated once (by :func:`zip_parts`: the same bytes).
    """
    from docx.opc.pkgwriter import PackageWriter
    steps = ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")
    if not all(hasattr(PackageWriter, step) for step in steps):
        return None
    package = document.part.package
    found: dict[str, bytes] = {}

    class Collect:  # what PackageWriter asks of a zip being written
        @staticmethod
        def write(pack_uri, blob: bytes) -> None:
            found[pack_uri.membername] = blob

    collect: Any = Collect  # stands for the PhysPkgWriter that save would open
    parts = package.parts
    for part in parts:  # as package.save does
        part.before_marshal()
    PackageWriter._write_content_types_stream(collect, parts)
    PackageWriter._write_pkg_rels(collect, package.rels)
    PackageWriter._write_parts(collect, parts)
    return found


def is_arabic(text: str) -> bool:
    """Return whether ``text`` is mostly Arabic letters (more Arabic than Latin ones)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    return arabic > 0 and arabic >= len(_LATIN_LETTER.findall(text))


def fit_columns(texts: Sequence[Sequence[tuple[str, bool, bool]]], columns: int, available: int,
                size_pt: float, shrink: bool = True,
                minimums: Sequence[float] | None = None, header: bool = True,
                smallest: float | None = None) -> tuple[list[int], float]:
    """Return column widths (EMU) that never break a word, and the font size they were fitted at.

    ``texts`` holds each row's cells as ``(text, bold, whole)``; a ``whole`` cell is kept on one
    line (a status label); the first row is a header (``header``), whose words may go on as
    many lines as they need. Every column is at least as wide as its
    longest word plus the cell's padding; the width left over goes to the columns whose text
    would wrap, in proportion to how much wider their longest line is than their longest word
    (the automatic table layout of CSS 2.1 §17.5.2.2), so a long name wraps before a short unit
    does. The widths add up to ``available`` (the text width) when the longest words fit in it;
    when they do not, the size drops by half a point down to ``smallest`` (default
    :data:`MIN_TABLE_PT`; with ``shrink``), and past that the columns keep their longest word's width (the table is wider
    than the text: landscape it).
    """
    def measured(size: float) -> Sequence[Sequence[tuple[int, int]]]:
        return [tuple(_cell_widths(text, bold, whole, size, header=number == 0 and header)
                      for text, bold, whole in row[:columns]) for number, row in enumerate(texts)]

    return _fit(measured, columns, available, size_pt, shrink, minimums, smallest)


def _cell_widths(text: str, bold: bool, whole: bool, size_pt: float, header: bool = False) -> tuple[int, int]:
    """Return a cell's (least, most) width in EMU at ``size_pt``: its longest word and its longest
    line (a header's: its longest word, it wraps at its spaces), padding included; (0, 0) when empty."""
    if not text:
        return 0, 0
    word = measure.longest_word(text, size_pt, bold) + CELL_PADDING
    line = word if header else measure.longest_line(text, size_pt, bold) + CELL_PADDING
    if whole:  # one line where the font is as wide as measured; at worst a break at a space
        word = max(word, int(line / measure.SAFETY))
    return word, line


def _fit(measured: Callable[[float], Sequence[Sequence[tuple[int, int]]]], columns: int, available: int,
         size_pt: float, shrink: bool = True, minimums: Sequence[float] | None = None,
         smallest: float | None = None) -> tuple[list[int], float]:
    """:func:`fit_columns` from the rows' cells' (least, most) widths at a size, ``measured(size)``."""
    reserved = [int(Cm(m)) for m in (minimums or ())] + [0] * columns
    while True:
        least = [max(CELL_PADDING, r) for r in reserved[:columns]]
        most = list(least)
        for row in measured(size_pt):
            for index, (word, line) in enumerate(row[:columns]):
                if word > least[index]:
                    least[index] = word
                if line > most[index]:
                    most[index] = line
        if sum(least) <= available or not shrink or size_pt <= (smallest or MIN_TABLE_PT):
            break
        size_pt -= 0.5
    floor, ceiling = sum(least), sum(most)
    if floor >= available:
        return least, size_pt
    if ceiling <= available:
        # Everything fits on one line: share the spare width in proportion to the natural widths.
        spare = available - ceiling
        widths = [m + spare * m // ceiling for m in most]
    else:
        room = available - floor
        stretch = ceiling - floor
        widths = [lo + (hi - lo) * room // stretch for lo, hi in zip(least, most)]
    widths[widths.index(max(widths))] += available - sum(widths)  # rounding: exactly the text width
    # Word stores widths in twips (635 EMU): round down, so the table never passes the margin.
    return [w - w % _TWIP for w in widths], size_pt


def _cell_key(value: Cell) -> tuple:
    """Return what decides a table cell's format besides its column: cells alike share a prototype."""
    return value.align or ("center" if value.fill else None), value.bold, value.colour, value.fill, value.rtl


def contents_anchors(document: bytes) -> dict[str, str]:
    """Return bookmark name → heading text for every heading a pack's contents links to."""
    root = _document_root(document)
    headings = rtl.heading_bookmarks(root)
    return {anchor: headings[anchor] for _, anchor in rtl.internal_links(root) if anchor in headings}


def number_contents(document: bytes, pages: dict[str, int], page_text: Callable[[int], str] = str) -> bytes:
    """Return a pack whose contents show each heading's page number (a ``PAGEREF`` field's result).

    ``pages`` maps a heading's bookmark to its page, as a layout of the document found it;
    ``page_text`` writes a number (the plan's digits). Links whose bookmark ``pages`` lacks are
    left without a number. Only ``word/document.xml`` changes; the result is deterministic.
    """
    # A pack whose page fields are set in the digits' font (it embeds it: an Arabic-digit pack) has
    # its contents' page numbers set in it too, so that an application computing them again draws
    # them in the same digits.
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        font = digits.FONT_NAME if digits.FONT_PART.lstrip("/") in archive.namelist() else None

    def edit(name: str, content: bytes) -> bytes:
        root = etree.fromstring(content)
        for link, anchor in rtl.internal_links(root):
            if anchor in pages:
                rtl.add_page_reference(link, anchor, page_text(pages[anchor]), font)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    return patch_zip(document, lambda name: name == "word/document.xml", edit, source_date_time())


def _document_root(document: bytes):
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def replace_in_headers(document: bytes, old: str, new: str) -> bytes:
    """Return a .docx with ``old`` replaced by ``new`` in its page headers (e.g. a revision number).

    The result is byte-identical to writing the document with ``new`` in the first place, as long as
    both are plain text that XML does not escape. Raises ValueError when no header holds ``old``.
    """
    if any(ch in old + new for ch in "<>&\"'"):
        raise ValueError(f"replace_in_headers: expected plain text, got {old!r} → {new!r}")
    needle, replacement = old.encode("utf-8"), new.encode("utf-8")
    changed = []

    def edit(name: str, content: bytes) -> bytes:
        if needle in content:
            changed.append(name)
        return content.replace(needle, replacement)

    # Only the headers are unpacked and packed again: the other parts are copied as they are.
    result = patch_zip(document, lambda name: name.startswith("word/header") and name.endswith(".xml"),
                       edit, source_date_time())
    if not changed:
        raise ValueError(f"replace_in_headers: no page header holds {old!r}")
    return result
