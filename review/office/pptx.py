"""The workshop deck's file format (.pptx): the only module that spells PresentationML and DrawingML.

:class:`DeckWriter` offers the deck's vocabulary — a slide with a title, a footer and speaker notes;
a text box of paragraphs or bullets; a table; a native bar, column or line chart — and writes every
paragraph right to left when asked (``a:pPr rtl="1" algn="r"``, complex-script font ``a:cs`` beside
the Latin one, bullets on the right), tables with their columns written in the order they are
seen (the first at the right: Impress ignores ``a:tblPr rtl="1"``, so none is marked; a screen
reader or Tab key then reads a row from its last column, and a table copied to a spreadsheet
comes out mirrored), charts with their categories from the right and the value axis on the right.

python-pptx writes what the strict validator refuses or what changes from one run to the next;
:meth:`DeckWriter.to_bytes` repairs it after saving: negative chart axis ids (``c:axId`` is an
unsigned int) become the same 32 bits read unsigned, the embedded chart workbooks (XlsxWriter
stamps them with the clock) get fixed times and a deterministic zip, and the package is written by
:func:`review.office.package.zip_parts` stamped with ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from xml.sax.saxutils import escape
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_AXIS_CROSSES, XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_MARK
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.opc.oxml import serialize_part_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.oxml.slide import CT_Slide
from pptx.parts.slide import SlidePart
from pptx.util import Emu, Pt

from review.errors import WHOLE_FILE, InputError, Problem, quoted
from review.office.package import MAX_PROPERTY_CHARS, fit_text, package_problems, source_date_time, zip_parts
from review.office.word.writer import clean_text, protect_mixed_text, typeset_minus

if TYPE_CHECKING:
    from review.office.word.writer import Cell

#: A table cell: plain text, or a :class:`review.office.word.writer.Cell` (text, fill, colour, bold,
#: align) — the same cells the Word packs use, read by attribute.
CellValue = Union[str, "Cell"]

#: The deck's font for Latin and Arabic (complex-script) text: Arial, as the Word packs use.
FONT = "Arial"
#: 16:9 at PowerPoint's default size: 13.333 × 7.5 inches.
WIDE = (Emu(12192000), Emu(6858000))
EMU_PER_PT = 12700
#: Text colours of the default deck.
TITLE_COLOUR = "1F3864"
TEXT_COLOUR = "262626"
MUTED_COLOUR = "595959"
HEADER_FILL = "1F3864"
RULE_COLOUR = "B4C7E7"
#: Average advance of a character as a share of its font size, used to estimate line breaks
#: (Arabic in Arial: about 0.45 em on average; the margin makes an estimate err on the long side).
CHAR_EM = 0.5
LINE_SPACING = 1.2

_NAMESPACES = nsdecls("a", "p", "r")
_QUOTE = {'"': "&quot;"}
#: PowerPoint's built-in "Medium Style 2 – Accent 1" (python-pptx's default table style).
TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"
_AXIS_ID = re.compile(rb'(<c:(?:axId|crossAx) val=")(-\d+)(")')


@dataclass(frozen=True)
class Box:
    """A rectangle on a slide, in EMU from its top-left corner."""

    x: int
    y: int
    width: int
    height: int

    def below(self, height: int, gap: int = 0) -> Box:
        """Return a box of ``height`` just under this one, as wide."""
        return Box(self.x, self.y + self.height + gap, self.width, height)


def text_height(text: str, width: int, size_pt: float) -> int:
    """Return an estimate of the height (EMU) ``text`` takes in a box ``width`` EMU wide at ``size_pt``.

    Counts lines as characters × :data:`CHAR_EM` of the size over the width, at least one per
    paragraph (``\\n``); errs on the long side so that a slide laid out from it does not overflow.
    """
    per_line = max(1, int(width / (size_pt * EMU_PER_PT * CHAR_EM)))
    lines = sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))
    return int(lines * size_pt * LINE_SPACING * EMU_PER_PT)


def number_format(decimals: int = 0, suffix: str = "", arabic_digits: bool = False) -> str:
    """Return an Excel number format code for chart labels: ``decimals`` decimals, ``suffix`` after
    the number (quoted), and Arabic-Indic digits when asked (``[$-2000401]``: numeral shape 02,
    Arabic (Saudi Arabia); PowerPoint and LibreOffice both honour it, not the shape without a
    locale), so that a chart shows the plan's digits and still reads its numbers from its workbook."""
    code = "#,##0" + ("." + "0" * decimals if decimals else "")
    if suffix:
        code += '"' + suffix.replace('"', "") + '"'
    return ("[$-2000401]" if arabic_digits else "") + code


def read_template(template: Path) -> bytes:
    """Return the bytes of a deck template (.pptx) that may serve as the deck's master; raise
    InputError naming the file and the part when it is unsafe or unreadable (macros, external
    relationships, broken parts) or python-pptx cannot open it."""
    try:
        data = Path(template).read_bytes()
    except OSError as exc:
        raise InputError([Problem(template, WHOLE_FILE, "", f"cannot be read: {exc.strerror} "
                                  "(expected a PowerPoint .pptx presentation)")]) from None
    problems = package_problems(data)
    if problems:
        raise InputError([Problem(template, WHOLE_FILE, part, message) for part, message in problems])
    try:
        presentation = Presentation(io.BytesIO(data))
        if not len(presentation.slide_layouts):
            raise ValueError("no slide layout")
    except Exception as exc:  # python-pptx raises whatever its reading met; any means this file
        raise InputError([Problem(template, WHOLE_FILE, "", f"python-pptx cannot read it: {type(exc).__name__}: "
                                  f"{quoted(str(exc))} (expected a PowerPoint .pptx presentation)")]) from None
    return data


#: Part names python-pptx numbers by walking every part of the package (:func:`_linear_growth`).
_NUMBERED_PARTS = ("/ppt/charts/chart%d.xml", "/ppt/embeddings/Microsoft_Excel_Sheet%d.xlsx")


def _linear_growth(presentation) -> None:
    """Keep python-pptx from growing a deck in quadratic time, for the same bytes.

    Each chart asks the package for two free part names, found by walking every part of the
    package; and each slide is related to the presentation after a search of all its slides
    for that relationship. A national plan's deck has hundreds of slides and scores of charts
    (about 2 s at 60 sectors). Here the names already taken are listed once and kept up to date,
    and a new slide, related to nothing yet, is related at once — the same names and ids.
    """
    package, part = presentation.part.package, presentation.part
    own_next_partname = package.next_partname
    taken: dict[str, set[str]] = {}

    def next_partname(template: str) -> PackURI:
        if template not in _NUMBERED_PARTS:
            return own_next_partname(template)
        prefix = template[: (template % 42).find("42")]
        if template not in taken:
            taken[template] = {str(p.partname) for p in package.iter_parts() if p.partname.startswith(prefix)}
        names = taken[template]
        for number in range(len(names) + 1, 0, -1):  # as python-pptx: the highest free up to count + 1
            if template % number not in names:
                names.add(template % number)
                return PackURI(template % number)
        raise AssertionError("no free part name")  # pragma: no cover — count + 1 names, count taken

    def relate_to(target, reltype: str, is_external: bool = False) -> str:
        if reltype == RT.SLIDE and not is_external and isinstance(target, Part) and target.partname not in related:
            related.add(target.partname)
            return part._rels._add_relationship(reltype, target)
        return type(part).relate_to(part, target, reltype, is_external)

    related = {rel.target_part.partname for rel in part.rels.values()
               if rel.reltype == RT.SLIDE and not rel.is_external}
    setattr(package, "next_partname", next_partname)  # this package only
    setattr(part, "relate_to", relate_to)


class DeckWriter:
    """Writes a presentation slide by slide; every text right to left when ``rtl``.

    ``template`` (a .pptx read by :func:`read_template`, None for python-pptx's own master at 16:9)
    gives the slide master, theme and size; its slides are dropped and every slide is made on its
    blank layout (the one named "Blank", else the one with the fewest placeholders).
    """

    def __init__(self, template: bytes | None = None, rtl: bool = True, lang: str = "ar", font: str = FONT,
                 lazy: bool = True):
        self.rtl, self.font, self.lazy = rtl, font, lazy
        self.lang = {"ar": "ar-SA", "en": "en-US"}.get(lang, lang)
        if template is None:
            self.presentation = Presentation()
            self.presentation.slide_width, self.presentation.slide_height = WIDE
        else:
            self.presentation = Presentation(io.BytesIO(template))
            self._drop_slides()
        _linear_growth(self.presentation)
        layouts = list(self.presentation.slide_layouts)
        named = [layout for layout in layouts if (layout.name or "").strip().lower() == "blank"]
        self.layout = named[0] if named else min(layouts, key=lambda layout: len(layout.placeholders))
        self.charts = 0
        #: The first notes page's bytes before and after its paragraphs (set with it).
        self._notes_text: list[bytes] | None = None
        self._next_ids: dict[str, int] = {}
        self._notes_master: Part | None = None
        #: The embedded workbooks stamped already (zip entry names; see :meth:`import_slide`).
        self._fixed: set[str] = set()

    @property
    def width(self) -> int:
        return int(self.presentation.slide_width or WIDE[0])

    @property
    def height(self) -> int:
        return int(self.presentation.slide_height or WIDE[1])

    def _drop_slides(self) -> None:
        # python-pptx has no verb for it: unlinking a slide from the list and the package leaves
        # its part unreachable, and saving writes only reachable parts.
        slide_ids = self.presentation.slides._sldIdLst
        for slide_id in list(slide_ids):
            self.presentation.part.drop_rel(slide_id.rId)
            slide_ids.remove(slide_id)

    # -- properties ---------------------------------------------------------------------------

    def set_properties(self, title: str, subject: str, author: str, when: dt.datetime) -> None:
        """Set the document properties (clamped to what PowerPoint holds); ``when`` is both the
        creation and the modification time, so that they come from the inputs, never the clock."""
        props = self.presentation.core_properties
        props.title = fit_text(title, MAX_PROPERTY_CHARS)
        props.subject = fit_text(subject, MAX_PROPERTY_CHARS)
        props.author = props.last_modified_by = fit_text(author, MAX_PROPERTY_CHARS)
        props.created = props.modified = when
        props.revision = 1
        props.language = self.lang
        props.keywords = props.comments = props.category = ""

    # -- slides and text ----------------------------------------------------------------------
    #
    # Shapes are written as XML text rather than through python-pptx's proxies, which spend
    # milliseconds a paragraph: a national plan's deck has thousands. A slide keeps its shapes as
    # that text until something needs them as elements (a chart: python-pptx draws it), and is
    # then serialised by joining the text (:class:`_SlideText`): what lxml would write, without
    # parsing and writing hundreds of slides again. ``lazy=False`` parses every shape at once,
    # the plain path, which a test compares byte for byte.

    def slide(self, notes: Sequence[str], more_notes: str = ""):
        """Return a new blank slide with ``notes`` (one paragraph each) as its speaker notes, then
        the paragraphs ``more_notes`` (made by :meth:`notes_xml`)."""
        notes = [str(n) for n in notes] or ([] if more_notes else [""])
        if self._notes_text is None or not self.lazy:
            slide = self.presentation.slides.add_slide(self.layout)
            for placeholder in list(slide.placeholders):  # a template's blank layout may still have some
                placeholder._element.getparent().remove(placeholder._element)
            self._add_notes(slide, notes, more_notes)
            return slide
        # What add_slide does (the same part name, relationships and slide id), without searching
        # every slide id for the next one nor cloning placeholders that would be removed at once.
        presentation = self.presentation.part
        slides = self.presentation.slides._sldIdLst
        part = _SlideText(PackURI(f"/ppt/slides/slide{len(slides) + 1}.xml"), CT.PML_SLIDE, presentation.package,
                          CT_Slide.new())
        part.relate_to(self.layout.part, RT.SLIDE_LAYOUT)
        used = slides[-1].id if len(slides) else 255
        slides._add_sldId(id=used + 1, rId=presentation.relate_to(part, RT.SLIDE))
        slide = part.slide
        self._add_notes(slide, notes, more_notes)
        return slide

    def _shape_id(self, slide) -> int:
        """Return a new shape id for ``slide`` (python-pptx finds one by searching the slide's XML each time)."""
        key = slide.part.partname
        ident = self._next_ids.get(key) or slide.shapes._next_shape_id
        self._next_ids[key] = ident + 1
        return ident

    def _add_shape(self, slide, xml: str) -> None:
        """Add a shape (XML text without namespace declarations) at the end of ``slide``."""
        pending = getattr(slide.part, "pending", None)
        if pending is not None:
            pending.append(xml)
        else:
            _append_shapes(slide.shapes._spTree, xml)

    def _elements(self, slide):
        """Return ``slide`` with its shapes as elements (for python-pptx to add a chart)."""
        if isinstance(slide.part, _SlideText):
            slide.part.parse_shapes()
        return slide

    def _add_notes(self, slide, notes: list[str], more_notes: str = "") -> None:
        """Give ``slide`` a notes page holding ``notes``. The first is made by python-pptx (which
        clones the notes master's placeholders, some 20 ms); the others are its bytes around the
        new paragraphs."""
        body = self._paragraphs_xml(notes, 14, False, TEXT_COLOUR) + more_notes
        if self._notes_text is None:
            notes_slide = slide.notes_slide
            frame = notes_slide.notes_text_frame
            _replace_paragraphs(frame._txBody, body)
            element = parse_xml(etree.tostring(notes_slide._element))
            for shape in element.iter(qn("p:sp")):
                placeholder = shape.find(f"{qn('p:nvSpPr')}/{qn('p:nvPr')}/{qn('p:ph')}")
                if placeholder is not None and placeholder.get("type") == "body":
                    _replace_paragraphs(shape.find(qn("p:txBody")), _MARK_PARAGRAPH)
            self._notes_text = serialize_part_xml(element).split(_MARK_PARAGRAPH.encode("utf-8"))
            self._notes_master = notes_slide.part.part_related_by(RT.NOTES_MASTER)
            return
        number = len(self.presentation.slides)
        part = Part(PackURI(f"/ppt/notesSlides/notesSlide{number}.xml"), CT.PML_NOTES_SLIDE, slide.part.package,
                    body.encode("utf-8").join(self._notes_text))
        assert self._notes_master is not None  # set with the first notes page
        part.relate_to(self._notes_master, RT.NOTES_MASTER)
        part.relate_to(slide.part, RT.SLIDE)
        slide.part.relate_to(part, RT.NOTES_SLIDE)

    def text(self, slide, box: Box, paragraphs: Sequence[str], size_pt: float = 16, bold: bool = False,
             colour: str = TEXT_COLOUR, bullets: bool = False, align: str = "start", fill: str | None = None,
             anchor: str = "top", numbers: Sequence[str] | None = None) -> None:
        """Write ``paragraphs`` in a text box; ``bullets`` puts a bullet at each paragraph's start
        (the right in right-to-left text), ``numbers`` a label before each instead (e.g. «٣.»).
        ``align`` is ``start``, ``center`` or ``end``; ``anchor`` ``top``, ``middle`` or ``bottom``."""
        if numbers is not None:
            paragraphs = [f"{label} {text}" for label, text in zip(numbers, paragraphs)]
        ident = self._shape_id(slide)
        filling = f'<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill>' if fill else "<a:noFill/>"
        anchors = {"top": "t", "middle": "ctr", "bottom": "b"}
        xml = (f'<p:sp><p:nvSpPr><p:cNvPr id="{ident}" name="TextBox {ident}"/><p:cNvSpPr txBox="1"/>'
               f'<p:nvPr/></p:nvSpPr><p:spPr>{_xfrm(box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>{filling}</p:spPr>'
               f'<p:txBody><a:bodyPr wrap="square" lIns="45720" tIns="22860" rIns="45720" bIns="22860" '
               f'anchor="{anchors[anchor]}"><a:noAutofit/></a:bodyPr><a:lstStyle/>'
               f'{self._paragraphs_xml(paragraphs, size_pt, bold, colour, bullets, align)}</p:txBody></p:sp>')
        self._add_shape(slide, xml)

    def rule(self, slide, box: Box, colour: str = RULE_COLOUR) -> None:
        """Draw a filled rectangle without outline (a rule or a band)."""
        ident = self._shape_id(slide)
        xml = (f'<p:sp><p:nvSpPr><p:cNvPr id="{ident}" name="Rectangle {ident}"/><p:cNvSpPr/><p:nvPr/>'
               f'</p:nvSpPr><p:spPr>{_xfrm(box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
               f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr></p:sp>')
        self._add_shape(slide, xml)

    def _paragraphs_xml(self, paragraphs: Sequence[str], size_pt: float, bold: bool = False, colour: str | None = None,
                        bullets: bool = False, align: str = "start") -> str:
        """Return ``a:p`` elements (as XML text) for ``paragraphs``, each right to left when the deck is."""
        sides = {"start": "r" if self.rtl else "l", "end": "l" if self.rtl else "r", "center": "ctr"}
        size = int(round(size_pt * 100))
        filling = f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>' if colour else ""
        alt = ' altLang="en-US"' if self.lang != "en-US" else ""
        font = escape(self.font, _QUOTE)
        run_pr = (f'<a:rPr lang="{self.lang}"{alt} sz="{size}" b="{int(bold)}">{filling}'
                  f'<a:latin typeface="{font}"/><a:cs typeface="{font}"/></a:rPr>')
        p_pr = f'<a:pPr algn="{sides[align]}" rtl="{int(self.rtl)}"/>'
        if bullets:
            # marL and indent measure from the paragraph's start: the right in right-to-left text.
            indent = int(size_pt * 1.1 * EMU_PER_PT)
            p_pr = (f'<a:pPr marL="{indent}" indent="{-indent}" algn="{sides[align]}" rtl="{int(self.rtl)}">'
                    f'<a:spcBef><a:spcPts val="{int(size_pt * 40)}"/></a:spcBef><a:buFont typeface="{font}"/>'
                    f'<a:buChar char="•"/></a:pPr>')
        out = []
        for text in paragraphs:
            lines = _deck_text(str(text)).split("\n")
            # An empty a:t as lxml writes it (the slides' text is its serialisation).
            runs = f"<a:br>{run_pr}</a:br>".join(f"<a:r>{run_pr}<a:t>{escape(line)}</a:t></a:r>" if line
                                                 else f"<a:r>{run_pr}<a:t/></a:r>" for line in lines)
            out.append(f'<a:p>{p_pr}{runs}<a:endParaRPr lang="{self.lang}" sz="{size}"/></a:p>')
        return "".join(out)

    # -- tables -------------------------------------------------------------------------------

    def table_height(self, headers: Sequence[str] | None, rows: Sequence[Sequence[CellValue]], widths: Sequence[float],
                     box_width: int, size_pt: float) -> int:
        """Return an estimate (EMU) of the height :meth:`table` gives these rows in a box ``box_width`` wide."""
        every = [list(headers), *rows] if headers is not None else list(rows)
        return sum(self._row_height(row, widths, box_width, size_pt) for row in every)

    def _row_height(self, row: Sequence[CellValue], widths: Sequence[float], box_width: int, size_pt: float) -> int:
        total = sum(widths)
        # A tenth more than the text's estimate: a row drawn taller than its text costs only space,
        # one drawn shorter pushes the table over what is laid out under it.
        return int(max(text_height(_cell_text(value), int(box_width * w / total) - 2 * _CELL_MARGIN, size_pt)
                       for value, w in zip(row, widths)) * 1.1) + 2 * _CELL_MARGIN_TOP

    def table(self, slide, box: Box, headers: Sequence[str] | None, rows: Sequence[Sequence[CellValue]],
              widths: Sequence[float], size_pt: float = 12) -> None:
        """Write a table with a header row (none when ``headers`` is None); ``widths`` are relative
        column widths, first column at the start (the right in right-to-left tables). Status cells
        keep their fill and colour; a table without header shows its first column in bold."""
        made = [] if headers is None else [self.table_row(headers, widths, box.width, size_pt, header=True)]
        made += [self.table_row(row, widths, box.width, size_pt, first_bold=headers is None) for row in rows]
        self.table_of_rows(slide, box, made, widths, header=headers is not None)

    def table_row(self, row: Sequence[CellValue], widths: Sequence[float], box_width: int, size_pt: float,
                  header: bool = False, first_bold: bool = False) -> tuple[str, int]:
        """Return a row of a :meth:`table` ``box_width`` wide as (XML text, height in EMU): the
        header row's look when ``header``, the first cell in bold when ``first_bold``."""
        height = self._row_height(row, widths, box_width, size_pt)
        cells = []
        for column, value in enumerate(row):
            text, fill, colour, bold, align = _cell_style(value)
            if header:
                fill, colour, bold, align = HEADER_FILL, "FFFFFF", True, "center"
            elif first_bold and column == 0:
                bold = True
            filling = f'<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill>' if fill else ""
            cells.append(f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>'
                         f'{self._paragraphs_xml([text], size_pt, bold, colour or TEXT_COLOUR, align=align)}'
                         f'</a:txBody><a:tcPr marL="{_CELL_MARGIN}" marR="{_CELL_MARGIN}" marT="{_CELL_MARGIN_TOP}" '
                         f'marB="{_CELL_MARGIN_TOP}" anchor="ctr"' + (f'>{filling}</a:tcPr></a:tc>' if filling else '/></a:tc>'))
        # Columns are written in the order they are seen, the first at the right in a right-to-left
        # deck, rather than marked ``a:tblPr rtl="1"``: Impress ignores that mark and would show
        # the first column at the left, where PowerPoint shows it at the right.
        return f'<a:tr h="{height}">{"".join(cells[::-1] if self.rtl else cells)}</a:tr>', height

    def table_of_rows(self, slide, box: Box, rows: Sequence[tuple[str, int]], widths: Sequence[float],
                      header: bool) -> None:
        """Write a :meth:`table` of rows made by :meth:`table_row` for ``box``'s width (the first
        the header row when ``header``)."""
        total = sum(widths)
        columns = [int(box.width * w / total) for w in widths]
        columns[-1] = box.width - sum(columns[:-1])
        grid = "".join(f'<a:gridCol w="{w}"/>' for w in (columns[::-1] if self.rtl else columns))
        ident = self._shape_id(slide)
        xml = (f'<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{ident}" name="Table {ident}"/>'
               f'<p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
               f'<p:xfrm><a:off x="{box.x}" y="{box.y}"/><a:ext cx="{box.width}" cy="{sum(h for _, h in rows)}"/></p:xfrm>'
               f'<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>'
               f'<a:tblPr firstRow="{int(header)}" bandRow="1">'
               f'<a:tableStyleId>{TABLE_STYLE}</a:tableStyleId></a:tblPr><a:tblGrid>{grid}</a:tblGrid>'
               f'{"".join(xml for xml, _ in rows)}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>')
        self._add_shape(slide, xml)

    def notes_xml(self, notes: Sequence[str]) -> str:
        """Return speaker notes' paragraphs as XML text, for :meth:`slide`'s ``more_notes``."""
        return self._paragraphs_xml([str(n) for n in notes], 14, False, TEXT_COLOUR)

    # -- charts -------------------------------------------------------------------------------

    def bar_chart(self, slide, box: Box, categories: Sequence[str], values: Sequence[float | None],
                  colours: Sequence[str], value_format: str, horizontal: bool = False, maximum: float | None = None,
                  series_name: str = "", size_pt: float = 12, major_unit: float | None = None) -> None:
        """Add a native bar chart (one series, a colour per bar) with value labels; ``horizontal``
        bars grow from the right in right-to-left decks, first category on top; columns start at
        the right. Its data sit in an embedded workbook ("Edit data" in PowerPoint)."""
        kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
        chart = self._chart(slide, box, kind, categories, [(series_name, values)], value_format, size_pt)
        plot = chart.plots[0]
        plot.gap_width = 60
        plot.vary_by_categories = False
        series = plot.series[0]
        for index, colour in enumerate(colours):
            point = series.points[index]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = RGBColor.from_string(colour)
        plot.has_data_labels = True
        labels = plot.data_labels
        labels.number_format = value_format
        labels.number_format_is_linked = False
        labels.show_value = True
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
        labels.font.size = Pt(size_pt)
        self._chart_font(labels._element.get_or_add_txPr())
        axis = chart.value_axis
        axis.minimum_scale = 0
        if maximum is not None:
            axis.maximum_scale = maximum
        if major_unit is not None:
            axis.major_unit = major_unit
        axis.has_major_gridlines = True
        axis.major_gridlines.format.line.color.rgb = RGBColor.from_string("D9D9D9")
        if horizontal:
            # First category on top; bars from the right (value axis reversed); the value axis's
            # labels under the plot, where it crosses the last category.
            chart.category_axis.reverse_order = True
            axis.reverse_order = self.rtl
            chart.category_axis.crosses = XL_AXIS_CROSSES.MAXIMUM
        else:
            self._categories_from_the_right(chart)

    def line_chart(self, slide, box: Box, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None], str]],
                   value_format: str, maximum: float | None = None, size_pt: float = 12,
                   major_unit: float | None = None) -> None:
        """Add a native line chart with markers, time running from the right in right-to-left decks;
        ``series`` are (name, values, colour); a legend when there are several."""
        chart = self._chart(slide, box, XL_CHART_TYPE.LINE_MARKERS, categories,
                            [(name, values) for name, values, _ in series], value_format, size_pt)
        for drawn, (_, _, colour) in zip(chart.plots[0].series, series):
            drawn.smooth = False
            drawn.format.line.color.rgb = RGBColor.from_string(colour)
            drawn.format.line.width = Pt(2.25)
            drawn.marker.format.fill.solid()
            drawn.marker.format.fill.fore_color.rgb = RGBColor.from_string(colour)
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = value_format
        plot.data_labels.number_format_is_linked = False
        plot.data_labels.position = XL_LABEL_POSITION.ABOVE
        plot.data_labels.font.size = Pt(size_pt)
        self._chart_font(plot.data_labels._element.get_or_add_txPr())
        if len(series) > 1:
            chart.has_legend = True
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
        chart.value_axis.minimum_scale = 0
        if maximum is not None:
            chart.value_axis.maximum_scale = maximum
        if major_unit is not None:
            chart.value_axis.major_unit = major_unit
        self._categories_from_the_right(chart)

    def _categories_from_the_right(self, chart) -> None:
        if self.rtl:
            # Categories (and time) from the right; the value axis crosses at the first category,
            # which now stands on the right, so it sits there too.
            chart.category_axis.reverse_order = True
            chart.category_axis.crosses = XL_AXIS_CROSSES.AUTOMATIC

    def _chart(self, slide, box: Box, kind, categories: Sequence[str], series, value_format: str, size_pt: float):
        self._elements(slide)
        data = CategoryChartData(number_format=value_format)
        data.categories = list(categories)
        for name, values in series:
            data.add_series(name, list(values))
        frame = slide.shapes.add_chart(kind, Emu(box.x), Emu(box.y), Emu(box.width), Emu(box.height), data)
        self._next_ids[slide.part.partname] = frame.shape_id + 1
        self.charts += 1
        chart = frame.chart
        chart.has_title = False
        chart.has_legend = False
        chart.font.size = Pt(size_pt)
        self._chart_font(chart._chartSpace.get_or_add_txPr())
        chart.value_axis.tick_labels.number_format = value_format
        chart.value_axis.tick_labels.number_format_is_linked = False
        # No tick marks across the category labels, which stand right against the axis in right-to-left charts.
        chart.category_axis.major_tick_mark = XL_TICK_MARK.NONE
        return chart

    def _chart_font(self, tx_pr) -> None:
        """Give a chart's text properties the deck's fonts (Latin and complex script) and direction."""
        p_pr = tx_pr.find(qn("a:p")).find(qn("a:pPr"))
        p_pr.set("rtl", "1" if self.rtl else "0")
        d_rpr = p_pr.find(qn("a:defRPr"))
        if d_rpr is None:
            d_rpr = _element(p_pr, "a:defRPr")
            p_pr.append(d_rpr)
        for child in d_rpr.findall(qn("a:latin")) + d_rpr.findall(qn("a:cs")):
            d_rpr.remove(child)
        d_rpr.set("lang", self.lang)
        d_rpr.append(_element(d_rpr, "a:latin", typeface=self.font))
        d_rpr.append(_element(d_rpr, "a:cs", typeface=self.font))

    # -- slides made again from what another deck wrote -----------------------------------------

    def export_slide(self, slide) -> tuple[str, list[tuple[bytes, bytes]], int]:
        """Return what ``slide`` holds so far besides its notes, as plain values: its shapes as the
        slide's XML text, each chart's part (as saved) and embedded workbook (as :meth:`to_bytes`
        writes it: stamped with ``SOURCE_DATE_EPOCH``) in the order they appear, and the next shape
        id — what :meth:`import_slide` needs to make the same slide in another deck (a build's
        cache keeps it)."""
        part = slide.part
        charts = []
        if isinstance(part, _SlideText) and part.pending is not None:
            shapes = "".join(part.pending)
        else:
            blob = part.blob
            before, after = _slide_text()
            if not (blob.startswith(before) and blob.endswith(after)):
                raise ValueError(f"{part.partname}: not a slide of this writer's making")
            shapes = blob[len(before):len(blob) - len(after)].decode("utf-8")
            for chart in slide.shapes._spTree.iter(qn("c:chart")):
                drawn = part.related_part(chart.get(qn("r:id")))
                charts.append((drawn.blob, _fixed_workbook(drawn.chart_workbook.xlsx_part.blob, source_date_time())))
        # The charts' relationship ids are given again when the slide is made anew.
        numbered = iter(range(len(charts)))
        shapes = _CHART_ID.sub(lambda m: f"{m.group(1)}{_CHART_MARK}{next(numbered)}{m.group(3)}", shapes)
        return shapes, charts, self._next_ids.get(part.partname) or slide.shapes._next_shape_id

    def import_slide(self, notes_xml: str, shapes: tuple[str, list[tuple[bytes, bytes]], int]):
        """Return a new slide with the notes ``notes_xml`` (:meth:`notes_xml`) holding what
        :meth:`export_slide` returned: the same parts, names, relationships and shape ids as the
        slide it was exported from, when made at the same place in the deck. Its parts are kept
        as the bytes they were saved as (nothing parsed again)."""
        from pptx.parts.chart import ChartPart
        from pptx.parts.embeddedpackage import EmbeddedXlsxPart
        text, charts, next_id = shapes
        slide = self.slide([], notes_xml)
        package = slide.part.package
        ids = []
        for chart_xml, workbook in charts:
            part = Part(package.next_partname(ChartPart.partname_template), CT.DML_CHART, package, chart_xml)
            embedded = EmbeddedXlsxPart.new(workbook, package)
            self._fixed.add(embedded.partname.membername)
            # A chart's one relationship, to its workbook: the id its saved XML names.
            if part.relate_to(embedded, RT.PACKAGE) not in _EXTERNAL_DATA.findall(chart_xml.decode("utf-8")):
                raise ValueError(f"{part.partname}: its workbook's relationship id is not the one it was saved with")
            ids.append(slide.part.relate_to(part, RT.CHART))
            self.charts += 1
        self._add_shape(slide, _CHART_ID.sub(lambda m: f"{m.group(1)}{ids[int(m.group(2)[len(_CHART_MARK):])]}{m.group(3)}",
                                             text))
        self._next_ids[slide.part.partname] = next_id
        return slide

    # -- output -------------------------------------------------------------------------------

    def to_bytes(self, remember=None) -> bytes:
        """Return the .pptx: strict-valid and deterministic (see the module's docstring).
        ``remember``: a build's cache for its compressed parts (see ``zip_parts``)."""
        stamp = source_date_time()
        parts = package_parts(self.presentation)
        for name in list(parts):
            if name.startswith("ppt/charts/") and name.endswith(".xml"):
                parts[name] = unsigned_axis_ids(parts[name])
            elif name.startswith("ppt/embeddings/") and name.endswith(".xlsx") and name not in self._fixed:
                parts[name] = _fixed_workbook(parts[name], stamp)
        return zip_parts(parts, stamp, remember)


def package_parts(presentation) -> dict[str, bytes]:
    """Return every entry python-pptx would save for ``presentation``, as ``{zip entry name: bytes}``.

    What ``Presentation.save`` writes (the same content-types item, package and part relationships
    and part blobs, by python-pptx's own serialisers), without zipping it: the deck is zipped once,
    deterministically, by :func:`review.office.package.zip_parts` (saving first and re-zipping
    compressed every part twice). The parts' relationships are written as text by
    :func:`relationships_xml` (the same bytes; python-pptx builds and serialises a tree for each).
    """
    from pptx.opc.serialized import _ContentTypesItem

    package = presentation.part.package
    found = tuple(package.iter_parts())
    entries = {"[Content_Types].xml": serialize_part_xml(_ContentTypesItem.xml_for(found)),
               "_rels/.rels": package._rels.xml}
    for part in found:
        entries[part.partname.membername] = part.blob
        if part._rels:
            entries[part.partname.rels_uri.membername] = relationships_xml(part.partname, part.rels)
    return entries


_RELATIONSHIPS = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">')
#: What a relationship's id, type and target hold when written as they are (nothing to escape).
_PLAIN_ATTRIBUTE = re.compile(r'[^&<>"\s]*')


def relationships_xml(partname: str, rels) -> bytes:
    """Return a part's relationships (python-pptx's ``_Relationships``) as python-pptx's
    ``rels.xml`` writes them: by id in numerical order, each target relative to the part's folder.
    Relationships it would write otherwise (an external one, text to escape) are left to it."""
    base = partname.rpartition("/")[0] or "/"
    rows = []
    for _, ident in sorted((int(r[3:]) if r.startswith("rId") and r[3:].isdigit() else 0, r) for r in rels.keys()):
        rel = rels[ident]
        if rel.is_external:
            return rels.xml
        target = _relative(str(rel.target_partname), base)
        if not all(_PLAIN_ATTRIBUTE.fullmatch(value) for value in (ident, rel.reltype, target)):
            return rels.xml
        rows.append(f'<Relationship Id="{ident}" Type="{rel.reltype}" Target="{target}"/>')
    return (_RELATIONSHIPS + "".join(rows) + "</Relationships>").encode("utf-8")


def _relative(partname: str, base: str) -> str:
    """Return ``partname`` relative to the folder ``base`` as python-pptx's ``PackURI.relative_ref``
    does (``posixpath.relpath``; both are absolute and normal)."""
    if base == "/":
        return partname[1:]
    target, start = partname.split("/")[1:], base.split("/")[1:]
    common = 0
    while common < min(len(target), len(start)) and target[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + target[common:]) or "."


class _SlideText(SlidePart):
    """A slide whose shapes are kept as XML text (:attr:`pending`, without namespace declarations)
    until something needs them as elements (:meth:`parse_shapes`); its bytes are then those text
    between the bytes lxml writes for an empty slide — what lxml writes for the slide."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.pending: list[str] | None = []

    def parse_shapes(self) -> None:
        """Move the shapes kept as text into the slide's element (once)."""
        if self.pending is not None:
            _append_shapes(self._element.cSld.spTree, "".join(self.pending))
            self.pending = None

    @property  # type: ignore[misc]  # read only here: python-pptx never sets a slide's blob
    def blob(self) -> bytes:
        if self.pending is None:
            return super().blob
        before, after = _slide_text()
        return before + "".join(self.pending).encode("utf-8") + after


#: A paragraph marking where the notes' paragraphs go, and a shape where a slide's shapes go.
_MARK_PARAGRAPH = "<a:p><a:r><a:t>REVIEWPARAGRAPHSMARK</a:t></a:r></a:p>"
_MARK_SHAPE = '<p:sp><p:nvSpPr><p:cNvPr id="0" name="REVIEWSHAPESMARK"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/></p:sp>'
#: A chart's relationship id in a slide's XML text; the mark standing for it in exported slides.
_CHART_ID = re.compile(r'(<c:chart [^>]*?r:id=")([^"]*)(")')
_CHART_MARK = "REVIEWCHART"
_EXTERNAL_DATA = re.compile(r'<c:externalData [^>]*?r:id="([^"]*)"')
_SLIDE_TEXT: list[bytes] = []


def _slide_text() -> list[bytes]:
    """Return the bytes lxml writes for an empty slide part, before and after its shapes."""
    if not _SLIDE_TEXT:
        element = CT_Slide.new()
        _append_shapes(element.cSld.spTree, _MARK_SHAPE)
        _SLIDE_TEXT.extend(serialize_part_xml(element).split(_MARK_SHAPE.encode("utf-8")))
        assert len(_SLIDE_TEXT) == 2
    return _SLIDE_TEXT


def _append_shapes(tree, xml: str) -> None:
    """Append the shapes of ``xml`` (XML text of ``p:sp``/``p:graphicFrame`` elements without
    namespace declarations) to the shape tree ``tree``."""
    for element in list(parse_xml(f"<p:spTree {_NAMESPACES}>{xml}</p:spTree>")):
        tree.append(element)


_CELL_MARGIN = 54864  # 0.06 inch
_CELL_MARGIN_TOP = 27432  # 0.03 inch


def unsigned_axis_ids(chart_xml: bytes) -> bytes:
    """Return a chart part with every negative ``c:axId``/``c:crossAx`` value read as the unsigned
    32-bit number of the same bits (python-pptx writes signed ones; the schema's type is
    ``xsd:unsignedInt``). The ids stay distinct and the axes keep their pairing."""
    return _AXIS_ID.sub(lambda m: m.group(1) + str(int(m.group(2)) & 0xFFFFFFFF).encode() + m.group(3), chart_xml)


def _fixed_workbook(data: bytes, stamp: tuple[int, ...]) -> bytes:
    """Return an embedded chart workbook with its document times set to ``stamp`` and its zip
    rewritten deterministically (XlsxWriter stamps ``dcterms:created`` with the clock)."""
    import zipfile
    year, month, day, hour, minute, second = stamp[:6]
    moment = dt.datetime(year, month, day, hour, minute, second).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = {info.filename: book.read(info) for info in book.infolist() if not info.is_dir()}
    core = parts.get("docProps/core.xml")
    if core is not None:
        parts["docProps/core.xml"] = re.sub(rb'(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)',
                                            lambda m: m.group(1) + moment + m.group(2), core)
    return zip_parts(parts, stamp)


def _element(parent, tag: str, children: Sequence = (), **attributes: str):
    """Return a new DrawingML element made by ``parent``'s document (so that it declares no namespace
    of its own once placed), with ``attributes`` and ``children``; the caller places it."""
    element = parent.makeelement(qn(tag), attributes)
    for child in children:
        element.append(child)
    return element


def _xfrm(box: Box) -> str:
    return f'<a:xfrm><a:off x="{box.x}" y="{box.y}"/><a:ext cx="{box.width}" cy="{box.height}"/></a:xfrm>'


def _deck_text(text: str) -> str:
    """Return text as the Word packs print it: XML-illegal characters removed, minus signs typeset,
    direction marks keeping signed numbers and Latin codes in their places in right-to-left lines."""
    return protect_mixed_text(typeset_minus(clean_text(text)))


def _replace_paragraphs(tx_body, paragraphs_xml: str) -> None:
    """Replace the paragraphs of a ``p:txBody`` (or ``a:txBody``) with ``paragraphs_xml``."""
    for paragraph in tx_body.findall(qn("a:p")):
        tx_body.remove(paragraph)
    for paragraph in parse_xml(f"<a:x {nsdecls('a')}>{paragraphs_xml}</a:x>"):
        tx_body.append(paragraph)


def _cell_text(value: CellValue) -> str:
    return value if isinstance(value, str) else value.text


def _cell_style(value: CellValue) -> tuple[str, str | None, str | None, bool, str]:
    """Return (text, fill, colour, bold, align) of a cell value; a filled cell is centred."""
    if isinstance(value, str):
        return value, None, None, False, "start"
    align = value.align or ("center" if value.fill else "start")
    return value.text, value.fill, value.colour, value.bold, {"justify": "start"}.get(align, align)
