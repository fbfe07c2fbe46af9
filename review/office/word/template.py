"""The project's default Word template (``templates/briefing.docx``), built by code.

Regenerate the committed file with::

    python -m review.office.word.template templates/briefing.docx

It starts from python-docx's default document and

- drops the parts that fail ``openxml-audit --policy strict`` or do not belong in a pack: the
  ``stylesWithEffects`` part (out of step with ``styles.xml``), the thumbnail and the
  bibliography custom XML;
- defines the styles the pack writer uses, with direction and Arabic fonts in the styles
  themselves (``w:bidi`` in paragraph styles; ``w:cs``, ``w:szCs``, ``w:bCs`` in their run
  properties — ``w:rtl`` is not allowed in a style, so the writer puts it on every run):
  Normal, Title, Subtitle, Heading 1–3, Caption, TOC Heading, TOC 1–3, Header, Footer,
  List Bullet and the table style "Review Table";
- sets an A4 page with 2 cm margins and a right-to-left section.

The body is a single empty paragraph; :class:`review.office.word.writer.PackWriter` clears it.

A user's template (``review build --template FILE``, an organisation's letterhead) is untrusted
(SPEC §7): :func:`open_template` opens it only after :func:`template_problems` found nothing —
no macro (a ``.docm``/``.dotm`` file, a macro-enabled content type, a VBA part), no external
relationship but the two kinds that are detached (the ``attachedTemplate`` Word records, and
hyperlinks, whose text stays), no malformed XML, corrupt entry or missing part, and a size that
is bounded before anything is inflated. :func:`check_template` adds python-docx's own reading, so
a build stops with exit 2 naming the file (and the part) before any work.

Font: Arial for Latin and Arabic alike. It ships with Windows and macOS and has Arabic glyphs,
so a pack looks the same on every reviewer's machine; LibreOffice substitutes a metric-compatible
font and a fallback for the Arabic glyphs.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_LINE_SPACING
from docx.shared import Cm, Pt

from review.errors import WHOLE_FILE, InputError, Problem, quoted
from review.office.word import rtl
from review.office.package import MAX_EXPANDED, normalize_zip, package_problems, zip_parts

#: Font for Latin and Arabic (complex-script) text.
FONT = "Arial"
#: Body text size in points (Latin and complex script alike).
BODY_SIZE_PT = 12.0
#: Colours (RGB hex, no '#').
PRIMARY = "1F4E79"
SECONDARY = "2E74B5"
MUTED = "595959"
RULE = "BFBFBF"
#: Name of the table style the writer asks for.
TABLE_STYLE = "Review Table"

def _paragraph_style(styles, name: str, *, base: str | None = "Normal", style_id: str | None = None):
    """Return the paragraph style ``name``, created when missing, with its formatting cleared."""
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if style_id is not None:
        style.style_id = style_id
    rtl.clear_style_formatting(style)
    if base is not None and style.name != "Normal":
        style.base_style = styles[base]
    return style


def _define_text(style, *, size_pt: float, bold: bool = False, colour: str | None = None,
                 before_pt: float = 0, after_pt: float = 6, align: str | None = None,
                 keep_with_next: bool = False) -> None:
    """Give a paragraph style Arabic direction, fonts, size, weight, colour and spacing."""
    rtl.set_paragraph_direction(style, True)
    fmt = style.paragraph_format
    fmt.space_before = Pt(before_pt)
    fmt.space_after = Pt(after_pt)
    if keep_with_next:
        fmt.keep_with_next = True
    if align is not None:
        rtl.set_paragraph_alignment(style, align)
    rtl.set_run_fonts(style, latin=FONT, cs=FONT)
    # Word's schema has no w:rtl in a style's run properties (the audit rejects it): run
    # direction is set on each run by the writer; fonts, sizes and weights live here.
    rtl.set_run_direction(style, None, size_pt=size_pt, bold=bold)
    if colour is not None:
        rtl.set_run_colour(style, colour)


def build_template() -> docx.document.Document:
    """Return the default briefing template as a python-docx document (not yet saved)."""
    document = docx.Document()
    rtl.remove_legacy_parts(document, custom_xml=True)
    styles = document.styles

    rtl.set_document_defaults(styles, latin_font=FONT, cs_font=FONT, size_pt=BODY_SIZE_PT)

    normal = _paragraph_style(styles, "Normal", base=None)
    _define_text(normal, size_pt=BODY_SIZE_PT, after_pt=6)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
    normal.paragraph_format.line_spacing = 1.15

    title = _paragraph_style(styles, "Title")
    _define_text(title, size_pt=26, bold=True, colour=PRIMARY, before_pt=12, after_pt=12,
                 align="center")
    subtitle = _paragraph_style(styles, "Subtitle")
    _define_text(subtitle, size_pt=16, colour=SECONDARY, after_pt=8, align="center")

    for level, (size, colour, before) in enumerate(
            ((18, PRIMARY, 18), (15, SECONDARY, 14), (13, MUTED, 10)), start=1):
        heading = _paragraph_style(styles, f"Heading {level}")
        _define_text(heading, size_pt=size, bold=True, colour=colour, before_pt=before,
                     after_pt=6, keep_with_next=True)
        heading.next_paragraph_style = normal
        rtl.set_outline_level(heading, level - 1)
    rtl.set_bottom_border(styles["Heading 1"], PRIMARY)

    toc_heading = _paragraph_style(styles, "TOC Heading", base="Heading 1")
    rtl.set_outline_level(toc_heading, 9)  # the contents title must not list itself
    toc_heading.next_paragraph_style = normal

    for level in (1, 2, 3):
        toc = _paragraph_style(styles, f"toc {level}", style_id=f"TOC{level}")
        toc.priority = 39
        toc.unhide_when_used = True
        _define_text(toc, size_pt=BODY_SIZE_PT if level == 1 else BODY_SIZE_PT - 1,
                     bold=level == 1, after_pt=3)
        # In a right-to-left paragraph Word reads w:ind left as the start side, so this
        # indents deeper levels from the right.
        toc.paragraph_format.left_indent = Cm(0.75 * (level - 1))

    caption = _paragraph_style(styles, "Caption")
    _define_text(caption, size_pt=10, colour=MUTED, before_pt=2, after_pt=10, align="center")

    for name in ("Header", "Footer"):
        part_style = _paragraph_style(styles, name)
        _define_text(part_style, size_pt=9, colour=MUTED, after_pt=0, align="center")

    bullet = styles["List Bullet"]
    rtl.set_paragraph_direction(bullet, True)
    bullet.paragraph_format.space_after = Pt(3)

    table_style = _table_style(styles)
    table_style.font.size = Pt(10)
    rtl.set_run_direction(table_style, None, size_pt=10)
    rtl.set_paragraph_direction(table_style, True)
    table_style.paragraph_format.space_after = Pt(0)
    table_style.paragraph_format.line_spacing = 1.0
    rtl.set_table_direction(table_style, True)
    rtl.set_table_borders(table_style, RULE)
    rtl.set_table_cell_margins(table_style, top=40, bottom=40, start=85, end=85)
    rtl.set_table_style_header(table_style, PRIMARY, "FFFFFF")

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    section.header_distance = Cm(1.0)
    section.footer_distance = Cm(1.0)
    rtl.set_section_direction(section, True)

    rtl.set_theme_font_languages(document.settings, latin="en-US", bidi="ar-SA")

    core = document.core_properties
    core.title = ""
    core.subject = ""
    core.author = ""
    core.comments = ""
    core.last_modified_by = ""
    core.revision = 1

    # The default body holds one empty paragraph; give it the paragraph direction explicitly.
    body = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    rtl.set_paragraph_direction(body, True)
    return document


def _table_style(styles):
    try:
        style = styles[TABLE_STYLE]
        rtl.clear_style_formatting(style)
    except KeyError:
        style = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    style.base_style = styles["Normal Table"]
    style.priority = 59
    style.quick_style = True
    return style


def template_bytes() -> bytes:
    """Return the default template as deterministic ``.docx`` bytes."""
    buffer = io.BytesIO()
    build_template().save(buffer)
    return normalize_zip(buffer.getvalue())


#: Suffixes of Word's macro-enabled files, refused whatever they hold.
MACRO_SUFFIXES = (".docm", ".dotm")
_CONTENT_TYPES = "[Content_Types].xml"
# A .dotx differs from a .docx only in its main part's content type, which python-docx refuses.
_TEMPLATE_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCUMENT_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def template_problems(path: Path) -> list[Problem]:
    """Return what stops the file at ``path`` from serving as a pack's Word template, each naming
    the file and, in its field, the part (empty when none); an empty list when it may be used.

    See the module's docstring for what is looked at; the file is read only when its size is
    within ``package.MAX_EXPANDED``.
    """
    return _read_template(path)[1]


def _read_template(path: Path) -> tuple[bytes, list[Problem]]:
    """Return the bytes of the template at ``path`` (b'' when unread) and :func:`template_problems`."""
    def problem(part: str, message: str) -> Problem:
        return Problem(path, WHOLE_FILE, part, message)

    if path.suffix.lower() in MACRO_SUFFIXES:
        return b"", [problem("", f"a macro-enabled Word file; a template may not carry macros (expected a "
                                 f".docx or .dotx saved without macros, got {path.suffix!r})")]
    try:
        if path.is_dir():
            return b"", [problem("", "is a folder (expected a Word .docx document)")]
        size = path.stat().st_size
        if size > MAX_EXPANDED:
            return b"", [problem("", f"{size:,} bytes (expected a Word template of at most {MAX_EXPANDED:,} bytes)")]
        data = path.read_bytes()
    except OSError as exc:
        return b"", [problem("", f"cannot be read: {exc.strerror or exc} (expected a readable Word .docx document)")]
    return data, [problem(part, message) for part, message in package_problems(data, rtl.DETACHABLE_EXTERNAL)]


def _as_document(data: bytes) -> bytes:
    """Return a sound package ``data`` with a Word template's (.dotx) main part typed as a document's."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read(_CONTENT_TYPES)
        if _TEMPLATE_MAIN not in types:
            return data
        parts = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    parts[_CONTENT_TYPES] = types.replace(_TEMPLATE_MAIN, _DOCUMENT_MAIN)
    return zip_parts(parts)


def open_template(template: Path | str | None) -> docx.document.Document:
    """Return the python-docx document a pack is written on: ``template`` (None: the project's own,
    built by :func:`build_template`) with its body cleared, its legacy parts and every external
    relationship removed.

    Raises InputError naming the file and part when :func:`template_problems` finds any; python-docx's
    own exceptions (KeyError, ValueError …) pass through for a package it cannot read otherwise.
    """
    if template is None:
        data = template_bytes()
    else:
        data, problems = _read_template(Path(template))
        if problems:
            raise InputError(problems)
        data = _as_document(data)
    document = docx.Document(io.BytesIO(data))
    document.element.body.clear_content()
    rtl.remove_legacy_parts(document)
    rtl.remove_external_relationships(document)
    return document


def check_template(template: Path) -> None:
    """Return None when ``template`` can serve as a pack's Word template; else raise InputError
    naming the file (and the part or section) with what is wrong.

    Opens it as :func:`open_template` does and looks at its sections' page set-up, which a pack's
    tables and pictures are sized from.
    """
    try:
        document = open_template(template)
    except InputError:
        raise
    except Exception as exc:  # python-docx raises whatever its reading met; any means this file
        raise InputError([Problem(template, WHOLE_FILE, "", f"python-docx cannot read it: {type(exc).__name__}: "
                                  f"{quoted(str(exc))} (expected a Word .docx document)")]) from None
    for number, section in enumerate(document.sections, start=1):
        sizes = (section.page_width, section.page_height, section.left_margin, section.right_margin,
                 section.top_margin, section.bottom_margin)
        if any(size is None for size in sizes):
            raise InputError([Problem(template, WHOLE_FILE, f"section {number}",
                                      "no page size or margins (expected a page set up in Word's Layout tab)")])


def main(argv: list[str] | None = None) -> int:
    """Write the default template to the path given (``templates/briefing.docx``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m review.office.word.template templates/briefing.docx", file=sys.stderr)
        return 2
    Path(args[0]).write_bytes(template_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
