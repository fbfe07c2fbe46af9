"""WordprocessingML details: the only module in the project that spells OOXML tags.

Everything else (the pack writer, the template builder) talks in verbs — *make this paragraph
right to left*, *shade this cell*, *add a PAGE field* — and this module turns them into
elements. python-docx (1.2) has no paragraph or section ``w:bidi`` property, no complex-script
font slots, no fields and no cell shading; this fills those gaps.

Schema order matters: Word (and ``openxml-audit --policy strict``) rejects a ``w:pPr`` whose
children are out of the order the schema's ``xsd:sequence`` gives. Every child is therefore
inserted through :func:`_get_or_add`, which places it before the first existing sibling that the
schema says must follow it — the same approach as python-docx's ``ZeroOrOne(successors=...)``
declarations in ``docx/oxml/text/parfmt.py``. The sequences below are copied from the
ECMA-376 transitional schema (wml.xsd: CT_PPrBase, CT_RPr, CT_TblPrBase, CT_TrPrBase,
CT_TcPr, CT_SectPr, CT_Settings, CT_Style, CT_TblStylePr).

A "target" argument may be a python-docx object that owns the property element directly
(``Paragraph``, ``Run``, ``Table``, ``_Row``, ``_Cell``, ``Section``) or a style
(``ParagraphStyle``/``CharacterStyle``/table style), so the template can put direction and
fonts into styles with the same verbs the writer uses on content.
"""

from __future__ import annotations

import functools
from copy import deepcopy
from dataclasses import dataclass

from typing import Any, Iterable

from docx.oxml import OxmlElement
from lxml import etree
from docx.oxml.ns import nsmap, qn
from docx.text.run import Run

# -- Successor sequences (ECMA-376 Part 1, transitional wml.xsd) ------------------------------

_PPR_SEQ = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)

# CT_ParaRPr (the paragraph mark's rPr) starts with the revision marks; CT_RPr does not, and
# having them first in one sequence is harmless for both.
_RPR_SEQ = (
    "w:ins", "w:del", "w:moveFrom", "w:moveTo",
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
    "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof",
    "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern",
    "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath", "w:rPrChange",
)

_TBLPR_SEQ = (
    "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
    "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
    "w:tblDescription", "w:tblPrChange",
)

_TRPR_SEQ = (
    "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
    "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
    "w:ins", "w:del", "w:trPrChange",
)

_TCPR_SEQ = (
    "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)

_SECTPR_SEQ = (
    "w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type",
    "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType", "w:cols",
    "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
    "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange",
)

_SETTINGS_SEQ = (
    "w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation",
    "w:removeDateAndTime", "w:doNotDisplayPageBoundaries", "w:displayBackgroundShape",
    "w:printPostScriptOverText", "w:printFractionalCharacterWidth", "w:printFormsData",
    "w:embedTrueTypeFonts", "w:embedSystemFonts", "w:saveSubsetFonts", "w:saveFormsData",
    "w:mirrorMargins", "w:alignBordersAndEdges", "w:bordersDoNotSurroundHeader",
    "w:bordersDoNotSurroundFooter", "w:gutterAtTop", "w:hideSpellingErrors",
    "w:hideGrammaticalErrors", "w:activeWritingStyle", "w:proofState", "w:formsDesign",
    "w:attachedTemplate", "w:linkStyles", "w:stylePaneFormatFilter",
    "w:stylePaneSortMethod", "w:documentType", "w:mailMerge", "w:revisionView",
    "w:trackRevisions", "w:doNotTrackMoves", "w:doNotTrackFormatting",
    "w:documentProtection", "w:autoFormatOverride", "w:styleLockTheme", "w:styleLockQFSet",
    "w:defaultTabStop", "w:autoHyphenation", "w:consecutiveHyphenLimit",
    "w:hyphenationZone", "w:doNotHyphenateCaps", "w:showEnvelope", "w:summaryLength",
    "w:clickAndTypeStyle", "w:defaultTableStyle", "w:evenAndOddHeaders",
    "w:bookFoldRevPrinting", "w:bookFoldPrinting", "w:bookFoldPrintingSheets",
    "w:drawingGridHorizontalSpacing", "w:drawingGridVerticalSpacing",
    "w:displayHorizontalDrawingGridEvery", "w:displayVerticalDrawingGridEvery",
    "w:doNotUseMarginsForDrawingGridOrigin", "w:drawingGridHorizontalOrigin",
    "w:drawingGridVerticalOrigin", "w:doNotShadeFormData", "w:noPunctuationKerning",
    "w:characterSpacingControl", "w:printTwoOnOne", "w:strictFirstAndLastChars",
    "w:noLineBreaksAfter", "w:noLineBreaksBefore", "w:savePreviewPicture",
    "w:doNotValidateAgainstSchema", "w:saveInvalidXml", "w:ignoreMixedContent",
    "w:alwaysShowPlaceholderText", "w:doNotDemarcateInvalidXml", "w:saveXmlDataOnly",
    "w:useXSLTWhenSaving", "w:saveThroughXslt", "w:showXMLTags",
    "w:alwaysMergeEmptyNamespace", "w:updateFields", "w:hdrShapeDefaults", "w:footnotePr",
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
    "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
    "w:smartTagType", "w:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
    "w:decimalSymbol", "w:listSeparator",
)

_STYLE_SEQ = (
    "w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine", "w:hidden",
    "w:uiPriority", "w:semiHidden", "w:unhideWhenUsed", "w:qFormat", "w:locked",
    "w:personal", "w:personalCompose", "w:personalReply", "w:rsid", "w:pPr", "w:rPr",
    "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr",
)

_TBL_STYLE_PR_SEQ = ("w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr")

_BORDERS_SEQ = ("w:top", "w:left", "w:bottom", "w:right", "w:insideH", "w:insideV")
_CELL_MAR_SEQ = ("w:top", "w:left", "w:bottom", "w:right")
_RPR_DEFAULT_SEQ = ("w:rFonts", "w:sz", "w:szCs", "w:lang")

#: Logical paragraph alignment → ``w:jc`` value. In a ``w:bidi`` paragraph Word reads the
#: transitional ``left``/``right`` as start/end of the line, so ``start`` is ``left`` in both
#: directions (the strict-only ``start``/``end`` values fail a transitional audit).
_JC = {"start": "left", "center": "center", "end": "right", "justify": "both"}

#: Logical cell edges → element names in CT_TblCellMar (transitional spells them left/right;
#: in a ``bidiVisual`` table Word mirrors them the same way as ``w:jc``).
_EDGE = {"top": "w:top", "bottom": "w:bottom", "start": "w:left", "end": "w:right"}


# -- Generic helpers -------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _sequence(seq: tuple[str, ...]) -> tuple[frozenset, dict[str, frozenset]]:
    """Return a schema sequence's qualified names, and for each name the names that follow it."""
    tags = [qn(t) for t in seq]
    return frozenset(tags), {tag: frozenset(tags[i + 1:]) for i, tag in enumerate(tags)}


def _insert_in_order(parent: Any, child: Any, seq: tuple[str, ...]) -> None:
    """Insert ``child`` into ``parent`` before the first sibling the schema puts after it.

    Children not named in ``seq`` (extension elements such as ``w14:*``) are treated as
    successors, since the schemas place extension content last.
    """
    known, successors_of = _sequence(seq)
    successors = successors_of[child.tag]
    for existing in parent:
        if existing.tag in successors or (isinstance(existing.tag, str) and existing.tag not in known):
            existing.addprevious(child)
            return
    parent.append(child)


def _get_or_add(parent: Any, tag: str, seq: tuple[str, ...]) -> Any:
    """Return ``parent``'s ``tag`` child, adding it in schema order when absent."""
    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        _insert_in_order(parent, child, seq)
    return child


def _remove(parent: Any, tag: str) -> None:
    for child in parent.findall(qn(tag)):
        parent.remove(child)


def _set_on_off(parent: Any, tag: str, seq: tuple[str, ...], on: bool, off: str = "0") -> None:
    """Write an on/off child: ``<tag/>`` when on, ``<tag w:val="0"/>`` when explicitly off."""
    element = _get_or_add(parent, tag, seq)
    if on:
        element.attrib.pop(qn("w:val"), None)
    else:
        element.set(qn("w:val"), off)


def _element_of(target: Any) -> Any:
    """Return the lxml element behind a python-docx object (content or style), or the element itself."""
    if isinstance(target, etree._Element):
        return target  # e.g. a w:tc, which has a `_tbl` property of its own (its table)
    for attr in ("_p", "_r", "_tbl", "_tr", "_tc", "_sectPr", "_element"):
        element = getattr(target, attr, None)
        if element is not None:
            return element
    if hasattr(target, "element"):
        return target.element
    return target


def _is_style(element: Any) -> bool:
    return element.tag == qn("w:style")


def _properties(target: Any, tag: str) -> Any:
    """Return the ``w:pPr``/``w:rPr`` of a paragraph, run or style (created when missing)."""
    element = _element_of(target)
    if element.tag == qn(tag):
        return element
    if _is_style(element):
        return _get_or_add(element, tag, _STYLE_SEQ)
    return element.get_or_add_pPr() if tag == "w:pPr" else element.get_or_add_rPr()


def _ppr(target: Any) -> Any:
    return _properties(target, "w:pPr")


def _rpr(target: Any) -> Any:
    return _properties(target, "w:rPr")


def _tblpr(target: Any) -> Any:
    element = _element_of(target)
    if _is_style(element):
        return _get_or_add(element, "w:tblPr", _STYLE_SEQ)
    return element.tblPr


def _half_points(size_pt: float) -> str:
    return str(int(round(size_pt * 2)))


# -- Paragraphs ------------------------------------------------------------------------------


def set_paragraph_direction(target: Any, rtl: bool) -> None:
    """Make a paragraph (or paragraph style) right to left (``w:bidi``), or explicitly left to right."""
    _set_on_off(_ppr(target), "w:bidi", _PPR_SEQ, rtl)


def set_paragraph_alignment(target: Any, align: str) -> None:
    """Align a paragraph (or style) to its logical ``start``, ``center``, ``end`` or ``justify``.

    Raises ValueError for any other value.
    """
    if align not in _JC:
        raise ValueError(f"alignment: expected one of {sorted(_JC)}, got {align!r}")
    _get_or_add(_ppr(target), "w:jc", _PPR_SEQ).set(qn("w:val"), _JC[align])


def set_outline_level(target: Any, level: int | None) -> None:
    """Set the outline level (0-based; 9 = body text, excluded from a TOC); None removes it."""
    ppr = _ppr(target)
    if level is None:
        _remove(ppr, "w:outlineLvl")
        return
    _get_or_add(ppr, "w:outlineLvl", _PPR_SEQ).set(qn("w:val"), str(level))


def set_bottom_border(target: Any, colour_hex: str, size_eighths: int = 6,
                      space_pt: int = 4) -> None:
    """Draw a rule under a paragraph (or paragraph style); colour is RGB hex without '#'."""
    ppr = _ppr(target)
    pbdr = _get_or_add(ppr, "w:pBdr", _PPR_SEQ)
    bottom = _get_or_add(pbdr, "w:bottom", ("w:top", "w:left", "w:bottom", "w:right",
                                             "w:between", "w:bar"))
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), str(space_pt))
    bottom.set(qn("w:color"), colour_hex)


# -- Runs ------------------------------------------------------------------------------------


def _apply_run_properties(rpr: Any, rtl: bool | None, cs_font: str | None,
                          size_pt: float | None, bold: bool | None) -> None:
    if cs_font is not None:
        fonts = _get_or_add(rpr, "w:rFonts", _RPR_SEQ)
        fonts.attrib.pop(qn("w:cstheme"), None)  # a theme slot would override w:cs
        fonts.set(qn("w:cs"), cs_font)
    if bold is not None:
        _set_on_off(rpr, "w:b", _RPR_SEQ, bold)
        _set_on_off(rpr, "w:bCs", _RPR_SEQ, bold)
    if size_pt is not None:
        _get_or_add(rpr, "w:sz", _RPR_SEQ).set(qn("w:val"), _half_points(size_pt))
        _get_or_add(rpr, "w:szCs", _RPR_SEQ).set(qn("w:val"), _half_points(size_pt))
    if rtl is not None:
        _set_on_off(rpr, "w:rtl", _RPR_SEQ, rtl)


def set_run_direction(target: Any, rtl: bool | None, cs_font: str | None = None,
                      size_pt: float | None = None, bold: bool | None = None) -> None:
    """Make a run (or style) right to left (``w:rtl``) with its complex-script font, size, weight.

    ``rtl=False`` writes ``w:rtl w:val="0"``; ``None`` for any argument leaves it unchanged.
    ``size_pt`` sets both the Latin (``w:sz``) and complex-script (``w:szCs``) size, ``bold``
    both ``w:b`` and ``w:bCs``: in a ``w:rtl`` run Word draws every character, digits and
    Latin letters included, with the complex-script properties.
    """
    _apply_run_properties(_rpr(target), rtl, cs_font, size_pt, bold)


def set_run_fonts(target: Any, latin: str | None = None, cs: str | None = None) -> None:
    """Set a run's (or style's) Latin (ascii/hAnsi) and complex-script fonts, dropping theme slots."""
    fonts = _get_or_add(_rpr(target), "w:rFonts", _RPR_SEQ)
    if latin is not None:
        for attr in ("w:asciiTheme", "w:hAnsiTheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)
    if cs is not None:
        fonts.attrib.pop(qn("w:cstheme"), None)
        fonts.set(qn("w:cs"), cs)


def set_run_colour(target: Any, colour_hex: str) -> None:
    """Colour a run's (or style's) text; RGB hex without '#'."""
    color = _get_or_add(_rpr(target), "w:color", _RPR_SEQ)
    for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
        color.attrib.pop(qn(attr), None)
    color.set(qn("w:val"), colour_hex)


# -- Fields ----------------------------------------------------------------------------------


def _add_run(paragraph: Any) -> Any:
    return paragraph._p.add_r()


def _field_run(paragraph: Any, kind: str, instruction: str = "", text: str = "") -> Run:
    """Append one run of a complex field: a ``w:fldChar`` of ``kind`` (begin, separate, end), the
    ``instr`` run holding ``instruction``, or the ``result`` run holding ``text``."""
    r = _add_run(paragraph)
    _fill_field_run(r, kind, instruction, text)
    return Run(r, paragraph)


def _fill_field_run(r: Any, kind: str, instruction: str = "", text: str = "") -> None:
    """Give the run ``r`` its part of a complex field (see :func:`_field_run`)."""
    if kind == "instr":
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        r.append(instr)
    elif kind == "result":
        r.text = text
    else:
        # Never w:dirty: Word would ask on opening to update the document's fields. PAGE and
        # NUMPAGES are laid out afresh anyway; the contents' result is written complete.
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        r.append(char)


def add_field(paragraph: Any, instruction: str, placeholder: str) -> list[Run]:
    """Append a complex field (e.g. ``PAGE``, ``NUMPAGES``, ``TOC \\o "1-3" \\h \\z \\u``).

    Writes begin / instrText / separate / ``placeholder`` / end runs and returns them as
    python-docx runs, so the caller can give them direction and fonts. The placeholder is the
    field's last result: what a reader sees until Word updates fields.
    """
    return [_field_run(paragraph, kind, instruction, placeholder)
            for kind in ("begin", "instr", "separate", "result", "end")]


def begin_field(paragraph: Any, instruction: str) -> list[Run]:
    """Open a complex field whose result spans several paragraphs; close it with :func:`end_field`.

    Returns the begin, instruction and separate runs.
    """
    return [_field_run(paragraph, kind, instruction) for kind in ("begin", "instr", "separate")]


def end_field(paragraph: Any) -> Run:
    """Close the field opened by :func:`begin_field`; returns the end run."""
    return _field_run(paragraph, "end")


def field_instructions(element: Any) -> list[str]:
    """Return the stripped instruction text of every complex field below ``element``."""
    return [(node.text or "").strip() for node in _element_of(element).iter(qn("w:instrText"))]


def set_update_fields_on_open(settings: Any) -> None:
    """Ask Word to refresh fields (TOC, page counts) when the document is opened.

    ``settings`` is python-docx's ``document.settings``. The packs do not use it (Word asks the
    reader first); kept for templates and tests.
    """
    element = _element_of(settings)
    _get_or_add(element, "w:updateFields", _SETTINGS_SEQ).set(qn("w:val"), "true")


def keep_embedded_fonts(settings: Any) -> None:
    """Ask Word to keep the fonts embedded in the document when it saves it, each cut to the
    characters used (``w:embedTrueTypeFonts``, ``w:saveSubsetFonts``): without them a reader who
    saves a pack would drop its page numbers' font."""
    element = _element_of(settings)
    for tag in ("w:embedTrueTypeFonts", "w:saveSubsetFonts"):
        _get_or_add(element, tag, _SETTINGS_SEQ)


def add_embedded_font(fonts: Any, name: str, relationship: str, key: str) -> None:
    """Add to a font table (``w:fonts``) the font ``name``, embedded regular in the part related by
    ``relationship`` and obfuscated with ``key`` (a GUID, ``{…}``)."""
    font = etree.SubElement(fonts, qn("w:font"))
    font.set(qn("w:name"), name)
    for tag, value in (("w:charset", "00"), ("w:family", "auto"), ("w:pitch", "variable")):
        etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    embedded = etree.SubElement(font, qn("w:embedRegular"))
    embedded.set(qn("r:id"), relationship)
    embedded.set(qn("w:fontKey"), key)


def font_names(fonts: Any) -> list[str]:
    """Return the names of the fonts a font table (``w:fonts``) lists."""
    return [font.get(qn("w:name")) for font in fonts.iterfind(qn("w:font"))]


# -- Bookmarks, internal links, the contents' page numbers ----------------------------------------


def add_bookmark(paragraph: Any, bookmark_id: int, name: str) -> None:
    """Put a bookmark ``name`` around a paragraph's content (the target of a contents link)."""
    p = _element_of(paragraph)
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    ppr = p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


def link_to_bookmark(paragraph: Any, anchor: str) -> None:
    """Wrap a paragraph's runs in an internal hyperlink to bookmark ``anchor`` (``w:hyperlink w:anchor``)."""
    p = _element_of(paragraph)
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    runs = [child for child in p if child.tag == qn("w:r")]
    if runs:
        runs[0].addprevious(link)
    else:
        p.append(link)
    for run in runs:
        link.append(run)


def set_end_tab(paragraph: Any, position_twips: int, leader: str = "dot") -> None:
    """Give a paragraph one tab stop at ``position_twips`` from its start, aligned to the line's end.

    In a ``w:bidi`` paragraph Word and LibreOffice read ``right`` as the end of the line (the
    left edge), as they read ``w:jc``.
    """
    tabs = _get_or_add(_ppr(paragraph), "w:tabs", _PPR_SEQ)
    for existing in list(tabs):
        tabs.remove(existing)
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:leader"), leader)
    tab.set(qn("w:pos"), str(int(position_twips)))
    tabs.append(tab)


def bookmark_names(element: Any) -> list[str]:
    """Return the names of the bookmarks below ``element``, in document order."""
    return [node.get(qn("w:name")) for node in _element_of(element).iter(qn("w:bookmarkStart"))]


def heading_bookmarks(element: Any) -> dict[str, str]:
    """Return bookmark name → the text of the paragraph it marks, for every bookmarked paragraph."""
    found = {}
    for start in _element_of(element).iter(qn("w:bookmarkStart")):
        paragraph = start.getparent()
        if paragraph.tag == qn("w:p"):
            found[start.get(qn("w:name"))] = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
    return found


def detach_trailing_kept(body: Any) -> list[Any]:
    """Remove and return the paragraphs at the end of a body that are kept with the next one
    (``w:keepNext``: the headings just written), in document order."""
    kept: list[Any] = []
    for element in reversed(list(body)):
        if element.tag == qn("w:sectPr"):
            continue
        ppr = element.find(qn("w:pPr")) if element.tag == qn("w:p") else None
        flag = ppr.find(qn("w:keepNext")) if ppr is not None else None
        if flag is None or flag.get(qn("w:val"), "1") in ("0", "false", "off"):
            break
        kept.insert(0, element)
    for element in kept:
        body.remove(element)
    return kept


def last_section_is_empty(body: Any) -> bool:
    """Return whether nothing follows the body's last section break (or the body is empty)."""
    for element in reversed(list(body)):
        if element.tag == qn("w:sectPr"):
            continue
        return element.tag == qn("w:p") and element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
    return True


def append_to_body(body: Any, elements: list[Any]) -> None:
    """Append block elements to a body, before its final section properties."""
    last = body.find(qn("w:sectPr"))
    for element in elements:
        if last is not None:
            last.addprevious(element)
        else:
            body.append(element)


def internal_links(element: Any) -> list[tuple[Any, str]]:
    """Return every internal hyperlink below ``element`` with its anchor (a bookmark name)."""
    return [(node, node.get(qn("w:anchor"))) for node in _element_of(element).iter(qn("w:hyperlink"))
            if node.get(qn("w:anchor"))]


def add_page_reference(link: Any, anchor: str, page_text: str, font: str | None = None) -> None:
    """Append to a contents link a tab and a ``PAGEREF`` field whose result is ``page_text``.

    The runs copy the format of the link's last run, the field's in ``font`` when given (the
    digits' font of an Arabic-digit pack). A link that has a page reference already has its
    result replaced instead, so the call can be repeated.
    """
    for fld in link.iter(qn("w:instrText")):
        if "PAGEREF" in (fld.text or ""):
            # The result run is the one after "separate"; rewrite its text.
            for sibling in fld.getparent().itersiblings():
                text = sibling.find(qn("w:t"))
                if text is not None:
                    text.text = page_text
                    return
    runs = [r for r in link if r.tag == qn("w:r")]
    rpr = runs[-1].find(qn("w:rPr")) if runs else None

    def new_run() -> Any:
        r = OxmlElement("w:r")
        if rpr is not None:
            r.append(deepcopy(rpr))
        link.append(r)
        return r

    new_run().append(OxmlElement("w:tab"))
    for kind in ("begin", "instr", "separate", "result", "end"):
        run = new_run()
        if font is not None:
            set_run_fonts(run, latin=font, cs=font)
        _fill_field_run(run, kind, f"PAGEREF {anchor} \\h", page_text)


def set_theme_font_languages(settings: Any, latin: str = "en-US", bidi: str = "ar-SA") -> None:
    """Record the document's theme font languages (which script the theme's fonts serve)."""
    element = _get_or_add(_element_of(settings), "w:themeFontLang", _SETTINGS_SEQ)
    element.set(qn("w:val"), latin)
    element.set(qn("w:bidi"), bidi)


# -- Tables ----------------------------------------------------------------------------------


def set_table_direction(target: Any, rtl: bool) -> None:
    """Lay a table (or table style) out right to left (``w:bidiVisual``: first column on the right)."""
    # The Open XML SDK types bidiVisual as on/off only (ST_OnOffOnly): "0" fails the audit.
    _set_on_off(_tblpr(target), "w:bidiVisual", _TBLPR_SEQ, rtl, off="off")


def set_table_borders(target: Any, colour_hex: str, size_eighths: int = 4) -> None:
    """Give a table (or table style) single borders outside and between all cells."""
    borders = _get_or_add(_tblpr(target), "w:tblBorders", _TBLPR_SEQ)
    for tag in _BORDERS_SEQ:
        edge = _get_or_add(borders, tag, _BORDERS_SEQ)
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), str(size_eighths))
        edge.set(qn("w:space"), "0")
        edge.set(qn("w:color"), colour_hex)


def set_table_cell_margins(target: Any, **margins_twips: int) -> None:
    """Set default cell margins of a table (or table style) in twips.

    Keywords are logical edges: ``top``, ``bottom``, ``start``, ``end``.
    """
    mar = _get_or_add(_tblpr(target), "w:tblCellMar", _TBLPR_SEQ)
    for edge, twips in margins_twips.items():
        element = _get_or_add(mar, _EDGE[edge], _CELL_MAR_SEQ)
        element.set(qn("w:w"), str(int(twips)))
        element.set(qn("w:type"), "dxa")


def set_table_layout_fixed(table: Any) -> None:
    """Make Word keep the given column widths instead of auto-fitting to content."""
    layout = _get_or_add(_tblpr(table), "w:tblLayout", _TBLPR_SEQ)
    layout.set(qn("w:type"), "fixed")


def set_table_style_header(style: Any, fill_hex: str, text_hex: str) -> None:
    """Give a table style a shaded, bold first row (``w:tblStylePr w:type="firstRow"``)."""
    element = _element_of(style)
    for existing in element.findall(qn("w:tblStylePr")):
        if existing.get(qn("w:type")) == "firstRow":
            element.remove(existing)
    tsp = OxmlElement("w:tblStylePr")
    tsp.set(qn("w:type"), "firstRow")
    _insert_in_order(element, tsp, _STYLE_SEQ)
    rpr = _get_or_add(tsp, "w:rPr", _TBL_STYLE_PR_SEQ)
    _apply_run_properties(rpr, None, None, None, True)
    set_run_colour(rpr, text_hex)
    trpr = _get_or_add(tsp, "w:trPr", _TBL_STYLE_PR_SEQ)
    _get_or_add(trpr, "w:tblHeader", _TRPR_SEQ)
    tcpr = _get_or_add(tsp, "w:tcPr", _TBL_STYLE_PR_SEQ)
    _shade(tcpr, fill_hex)


def set_table_look(table: Any, first_row: bool) -> None:
    """Say whether the table style's first-row formatting applies (``w:tblLook``)."""
    look = _get_or_add(_tblpr(table), "w:tblLook", _TBLPR_SEQ)
    look.set(qn("w:val"), "0420" if first_row else "0400")
    look.set(qn("w:firstRow"), "1" if first_row else "0")
    look.set(qn("w:lastRow"), "0")
    look.set(qn("w:firstColumn"), "0")
    look.set(qn("w:lastColumn"), "0")
    look.set(qn("w:noHBand"), "1")
    look.set(qn("w:noVBand"), "1")


def mark_repeat_header(row: Any) -> None:
    """Repeat this table row at the top of every page the table runs onto (``w:tblHeader``)."""
    trpr = _element_of(row).get_or_add_trPr()
    _get_or_add(trpr, "w:tblHeader", _TRPR_SEQ)
    _get_or_add(trpr, "w:cantSplit", _TRPR_SEQ)


def keep_row_with_next(row: Any) -> None:
    """Keep a table row on the page of the row after it (``w:keepNext`` on its paragraphs), so a
    header row is never left alone at the foot of a page."""
    for p in _element_of(row).iter(qn("w:p")):
        ppr = p.get_or_add_pPr()
        _set_on_off(ppr, "w:keepNext", _PPR_SEQ, True)


def keep_row_together(row: Any) -> None:
    """Keep a table row on one page (``w:cantSplit``); a row taller than a page still breaks."""
    _get_or_add(_element_of(row).get_or_add_trPr(), "w:cantSplit", _TRPR_SEQ)


def _shade(tcpr: Any, fill_hex: str) -> None:
    shd = _get_or_add(tcpr, "w:shd", _TCPR_SEQ)
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill_hex)


def shade_cell(cell: Any, fill_hex: str, text_hex: str | None = None) -> None:
    """Fill a table cell with a colour (RGB hex, no '#'); optionally recolour its text runs."""
    _shade(_element_of(cell).get_or_add_tcPr(), fill_hex)
    if text_hex is not None:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                set_run_colour(run, text_hex)


# -- Sections, styles, pictures --------------------------------------------------------------


def set_section_direction(section: Any, rtl: bool) -> None:
    """Make a section right to left (``w:bidi`` in ``w:sectPr``: page numbering, columns, gutter)."""
    _set_on_off(_element_of(section), "w:bidi", _SECTPR_SEQ, rtl)


def clear_style_formatting(style: Any) -> None:
    """Remove a style's paragraph, run and table formatting so it can be defined afresh."""
    element = _element_of(style)
    for tag in ("w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr"):
        _remove(element, tag)


def set_document_defaults(styles: Any, latin_font: str, cs_font: str, size_pt: float,
                          latin_lang: str = "en-US", bidi_lang: str = "ar-SA") -> None:
    """Set the document-wide run defaults (``w:docDefaults``): fonts, sizes and languages.

    Theme font slots are removed so the named fonts win.
    """
    root = _element_of(styles)
    defaults = root.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        root.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    fonts = _get_or_add(rpr, "w:rFonts", _RPR_SEQ)
    fonts.attrib.clear()
    fonts.set(qn("w:ascii"), latin_font)
    fonts.set(qn("w:eastAsia"), latin_font)
    fonts.set(qn("w:hAnsi"), latin_font)
    fonts.set(qn("w:cs"), cs_font)
    _get_or_add(rpr, "w:sz", _RPR_SEQ).set(qn("w:val"), _half_points(size_pt))
    _get_or_add(rpr, "w:szCs", _RPR_SEQ).set(qn("w:val"), _half_points(size_pt))
    lang = _get_or_add(rpr, "w:lang", _RPR_SEQ)
    lang.set(qn("w:val"), latin_lang)
    lang.set(qn("w:bidi"), bidi_lang)


def resolve_style_run(style: Any, styles: Any) -> dict[str, Any]:
    """Return the complex-script font, size and weight a style gives its runs.

    Walks the ``w:basedOn`` chain, then the document defaults. Keys: ``cs_font`` (str or
    None), ``size_pt`` (float or None; ``w:szCs``, else ``w:sz``), ``bold`` (bool; ``w:bCs``,
    else ``w:b``). Lets the writer repeat these on every run, so Arabic text keeps its size
    and weight even in a template whose styles only set the Latin ones.
    """
    found: dict[str, Any] = {"cs_font": None, "cs_size": None, "size": None,
                             "bold_cs": None, "bold": None}

    def visit(rpr: Any) -> None:
        if rpr is None:
            return
        fonts = rpr.find(qn("w:rFonts"))
        if found["cs_font"] is None and fonts is not None and fonts.get(qn("w:cs")):
            found["cs_font"] = fonts.get(qn("w:cs"))
        for key, tag in (("cs_size", "w:szCs"), ("size", "w:sz")):
            node = rpr.find(qn(tag))
            if found[key] is None and node is not None and node.get(qn("w:val")):
                found[key] = int(node.get(qn("w:val"))) / 2
        for key, tag in (("bold_cs", "w:bCs"), ("bold", "w:b")):
            node = rpr.find(qn(tag))
            if found[key] is None and node is not None:
                found[key] = node.get(qn("w:val"), "1") not in ("0", "false", "off")

    root = _element_of(styles)
    seen = set()
    element = _element_of(style) if style is not None else None
    while element is not None and id(element) not in seen:
        seen.add(id(element))
        visit(element.find(qn("w:rPr")))
        based_on = element.find(qn("w:basedOn"))
        if based_on is None:
            break
        element = None
        for candidate in root.findall(qn("w:style")):
            if candidate.get(qn("w:styleId")) == based_on.get(qn("w:val")):
                element = candidate
                break
    defaults = root.find(qn("w:docDefaults"))
    if defaults is not None:
        visit(defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}"))
    size = found["cs_size"] if found["cs_size"] is not None else found["size"]
    bold = found["bold_cs"] if found["bold_cs"] is not None else found["bold"]
    return {"cs_font": found["cs_font"], "size_pt": size, "bold": bool(bold)}


_LEGACY_RELATIONSHIPS = (
    # Word 2010's copy of styles.xml; once out of step with styles.xml (any edit by a tool
    # that does not know it) Word repairs the file, and the strict audit fails it.
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    # A picture of some other document's first page.
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
)
_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"


def remove_legacy_parts(document: Any, custom_xml: bool = False) -> None:
    """Drop the ``stylesWithEffects`` part and the thumbnail (and ``customXml`` when asked).

    Removing the relationship removes the part and its content-type entry on save.
    """
    reltypes = _LEGACY_RELATIONSHIPS + ((_CUSTOM_XML,) if custom_xml else ())
    for owner in (document.part, document.part.package):
        for rId, rel in list(owner.rels.items()):
            if rel.reltype in reltypes:
                owner.rels.pop(rId)


#: External relationships (by the last segment of their type) that :func:`remove_external_relationships`
#: can detach: the template a document was made from (Word records its path, often on a server or
#: the web) and hyperlinks. Any other external relationship (a linked picture or object) is refused.
DETACHABLE_EXTERNAL = frozenset({"attachedTemplate", "hyperlink"})
_RELATIONSHIP_ATTRIBUTE = "{%s}" % nsmap["r"]
# What may refer to a detachable relationship: removed, or (a hyperlink) replaced by its runs.
_REMOVED_REFERRERS = frozenset({qn("w:attachedTemplate"), qn("a:hlinkClick"), qn("a:hlinkHover")})
_UNWRAPPED_REFERRERS = frozenset({qn("w:hyperlink")})


def remove_external_relationships(document: Any) -> None:
    """Remove every external relationship (``TargetMode="External"``) of the document's parts and
    what refers to it: ``w:attachedTemplate`` and a picture's click or hover link go, a
    ``w:hyperlink`` leaves its text in place.

    Raises ValueError naming the part, the relationship and its target when the relationship's
    type is not in :data:`DETACHABLE_EXTERNAL`, when something else refers to it, or when a part
    that is not XML holds it.
    """
    package = document.part.package
    for rId, rel in list(package.rels.items()):
        if rel.is_external:  # nothing in a part refers to a package relationship
            package.rels.pop(rId)
    for part in package.iter_parts():
        external = {rId: rel for rId, rel in part.rels.items() if rel.is_external}
        if not external:
            continue
        for rel in external.values():
            if rel.reltype.rsplit("/", 1)[-1] not in DETACHABLE_EXTERNAL:
                raise ValueError(f"{str(part.partname).lstrip('/')}: relationship {rel.rId!r} "
                                 f"({rel.reltype.rsplit('/', 1)[-1]}) points outside the file, to {rel.target_ref!r}")
        element = getattr(part, "element", None)
        if element is None:
            raise ValueError(f"{str(part.partname).lstrip('/')}: external relationships in a part that is not XML")
        referrers = [node for node in element.iter() if any(
            key.startswith(_RELATIONSHIP_ATTRIBUTE) and value in external for key, value in node.attrib.items())]
        for node in referrers:
            if node.tag in _UNWRAPPED_REFERRERS:
                parent, index = node.getparent(), node.getparent().index(node)
                for offset, child in enumerate(list(node)):
                    parent.insert(index + offset, child)
                parent.remove(node)
            elif node.tag in _REMOVED_REFERRERS:
                node.getparent().remove(node)
            else:
                raise ValueError(f"{str(part.partname).lstrip('/')}: {etree.QName(node).localname} refers "
                                 "to an external relationship")
        for rId in external:
            part.rels.pop(rId)


def set_picture_description(inline_shape: Any, alt_text: str, title: str | None = None) -> None:
    """Give a picture its alternative text (``wp:docPr`` ``descr`` and ``title``) for screen readers."""
    doc_pr = inline_shape._inline.docPr
    doc_pr.set("descr", alt_text)
    doc_pr.set("title", title if title is not None else alt_text)


def picture_descriptions(element: Any) -> list[str]:
    """Return the alternative text of every picture below ``element`` (a document or part)."""
    return [node.get("descr", "") for node in _element_of(element).iter(qn("wp:docPr"))]


def iter_bidi_values(element: Any, kind: str) -> Iterable[bool | None]:
    """Yield, for each paragraph/run/table below ``element``, whether it is marked right to left.

    ``kind`` is ``"paragraph"`` (``w:bidi``), ``"run"`` (``w:rtl``) or ``"table"``
    (``w:bidiVisual``). Yields None where the property is absent (inherited from the style).
    """
    container, tag = {"paragraph": ("w:p", "w:bidi"), "run": ("w:r", "w:rtl"),
                      "table": ("w:tbl", "w:bidiVisual")}[kind]
    prop_parent = {"w:p": "w:pPr", "w:r": "w:rPr", "w:tbl": "w:tblPr"}[container]
    for node in _element_of(element).iter(qn(container)):
        props = node.find(qn(prop_parent))
        flag = props.find(qn(tag)) if props is not None else None
        if flag is None:
            yield None
        else:
            yield flag.get(qn("w:val"), "1") not in ("0", "false", "off")


def section_is_rtl(section: Any) -> bool | None:
    """Return whether a section is marked right to left; None when unmarked."""
    flag = _element_of(section).find(qn("w:bidi"))
    if flag is None:
        return None
    return flag.get(qn("w:val"), "1") not in ("0", "false", "off")


# -- Fast table cells -------------------------------------------------------------------------
# A national plan's packs hold tens of thousands of table cells, and python-docx spends about a
# millisecond on each through its object layer. Cells of one table mostly share a handful of
# formats, so the writer formats the first cell of each kind through the verbs above and the
# rest copy its properties (lxml deep copies, schema order preserved by construction).


@dataclass(frozen=True)
class CellPrototype:
    """The formatting of a finished table cell, ready to be copied onto fresh cells."""

    cell_properties: tuple  # tcPr children other than the width
    paragraph_properties: Any  # pPr, or None
    run_properties: Any  # rPr of its text run, or None when the cell had no text


def cell_prototype(cell: Any) -> CellPrototype:
    """Return the formatting of a formatted cell (its cell, paragraph and first-run properties)."""
    tc = _element_of(cell)
    tcpr = tc.tcPr
    children = tuple(deepcopy(c) for c in tcpr if c.tag != qn("w:tcW")) if tcpr is not None else ()
    paragraph = tc.p_lst[0]
    ppr = deepcopy(paragraph.pPr) if paragraph.pPr is not None else None
    runs = paragraph.r_lst
    rpr = deepcopy(runs[0].rPr) if runs and runs[0].rPr is not None else None
    return CellPrototype(children, ppr, rpr)


def fill_cell_like(cell: Any, prototype: CellPrototype, text: str) -> bool:
    """Format a fresh cell like ``prototype`` and write ``text`` (newlines become line breaks).

    Returns False, changing nothing, when the prototype knows no run format for a non-empty text.
    """
    if text and prototype.run_properties is None:
        return False
    tc = _element_of(cell)
    tcpr = tc.get_or_add_tcPr()
    for child in prototype.cell_properties:
        for existing in tcpr.findall(child.tag):
            tcpr.remove(existing)
        _insert_in_order(tcpr, deepcopy(child), _TCPR_SEQ)
    paragraph = tc.p_lst[0]
    if paragraph.pPr is not None:
        paragraph.remove(paragraph.pPr)
    if prototype.paragraph_properties is not None:
        paragraph.insert(0, deepcopy(prototype.paragraph_properties))
    if text:
        run = OxmlElement("w:r")
        run.append(deepcopy(prototype.run_properties))
        for number, line in enumerate(text.split("\n")):
            if number:
                run.append(OxmlElement("w:br"))
            t = OxmlElement("w:t")
            t.text = line.replace("\t", " ")
            t.set(_XML_SPACE, "preserve")
            run.append(t)
        paragraph.append(run)
    return True


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def cell_template(blank_cell: Any, prototype: CellPrototype, has_text: bool) -> Any:
    """Return a detached cell formatted like ``prototype``, to be copied by :func:`cell_from_template`.

    ``blank_cell`` is a fresh cell of the column (its width is kept). With ``has_text`` the
    template holds a run whose text each copy replaces; a prototype without run format gives None.
    """
    template = deepcopy(_element_of(blank_cell))
    if not fill_cell_like(template, prototype, "x" if has_text else ""):
        return None
    return template


def cell_from_template(template: Any, text: str) -> Any:
    """Return a copy of a :func:`cell_template` cell holding ``text`` — the same XML as
    :func:`fill_cell_like` writes, for a fraction of its cost (one tree copy per cell)."""
    tc = deepcopy(template)
    if text:
        t = tc[-1][-1][-1]  # tc → p → r → t
        lines = text.replace("\t", " ").split("\n")
        t.text = lines[0]
        run = t.getparent()
        for line in lines[1:]:
            run.append(OxmlElement("w:br"))
            more = OxmlElement("w:t")
            more.text = line
            more.set(_XML_SPACE, "preserve")
            run.append(more)
    return tc
