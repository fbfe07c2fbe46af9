"""Hostile Word templates (issue 14, items 4 and 5): ``review build --template FILE``.

A broken template (malformed XML, a corrupt deflate stream, a missing part, not a zip, a folder)
and an unsafe one (a macro-enabled file or content type, a VBA part, an external relationship
that cannot be detached, a part that expands to hundreds of megabytes) stop the build with exit
2 naming the file and the part, no traceback and no revision written. A template whose only
external relationships are the ones the writer detaches (``attachedTemplate``, hyperlinks)
builds, and no part of any produced ``.docx``/``.xlsx`` carries an external relationship or a
macro.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from review.cli.main import main
from review.office.word.template import template_bytes

from tests.conftest import audit

DATA = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,50\nW1,120\n"}}
ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
EVIL = "http://evil.example/"
#: What no produced part may hold: an external relationship, a VBA part or a macro content type.
FORBIDDEN = (b'TargetMode="External"', b"vbaProject", b"macroEnabled", EVIL.encode())


def rezip(base: bytes, changes: dict[str, bytes | None]) -> bytes:
    """Return the zip ``base`` with parts replaced, added (bytes) or removed (None)."""
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    for name, content in changes.items():
        if content is None:
            parts.pop(name, None)
        else:
            parts[name] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def part_of(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def letterhead(external_image: bool = False) -> bytes:
    """Return a letterhead made from the default template: a header line with a hyperlink to the
    web, a clickable header picture is not needed; ``attachedTemplate`` pointing at a web address
    (and, when asked, a picture linked from the web, which cannot be detached)."""
    document = docx.Document(io.BytesIO(template_bytes()))
    header = document.sections[0].header
    paragraph = header.paragraphs[0]
    paragraph.add_run("ORGANISATION LETTERHEAD ")
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), header.part.relate_to(EVIL + "site", RT.HYPERLINK, is_external=True))
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "www.organisation.example"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    settings = document.part._settings_part
    attached = OxmlElement("w:attachedTemplate")
    attached.set(qn("r:id"), settings.relate_to(EVIL + "normal.dotm", ATTACHED_TEMPLATE, is_external=True))
    settings.element.insert(0, attached)
    if external_image:
        document.part.relate_to(EVIL + "logo.png", RT.IMAGE, is_external=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build(plan: Path, out: Path, template: Path, capsys) -> tuple[int, str]:
    code = main(["build", str(plan), "--period", "2024-Q1", "--out", str(out), "--template", str(template), "-q"])
    return code, capsys.readouterr().err


def written(out: Path) -> list[Path]:
    """Return the files a build left under ``out``, but for the intake cache (a parse of valid inputs)."""
    return sorted(p for p in out.rglob("*") if p.is_file() and ".cache" not in p.relative_to(out).parts
                  and p.name != ".lock") if out.exists() else []


def macro_project() -> dict[str, bytes | None]:
    base = template_bytes()
    rels = part_of(base, "word/_rels/document.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                             b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    types = part_of(base, "[Content_Types].xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    return {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really OLE", "word/_rels/document.xml.rels": rels,
            "[Content_Types].xml": types}


def macro_content_type() -> dict[str, bytes | None]:
    types = part_of(template_bytes(), "[Content_Types].xml").replace(
        b"wordprocessingml.document.main+xml", b"wordprocessingml.document.macroEnabled.main+xml")
    return {"[Content_Types].xml": types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.macroEnabled.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")}


def corrupt_deflate() -> bytes:
    """Return the default template with the compressed bytes of word/document.xml scrambled."""
    data = bytearray(rezip(template_bytes(), {}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 2, start + info.compress_size - 2):
        data[offset] ^= 0x5A
    return bytes(data)


CASES = {
    # name: (file name, bytes, what the message names)
    "vba part": ("letter.docx", lambda: rezip(template_bytes(), macro_project()),
                 ["word/vbaProject.bin: a macro (VBA) part", "macro-enabled content type "
                  "'application/vnd.ms-office.vbaProject'"]),
    "macro content type": ("letter.docx", lambda: rezip(template_bytes(), macro_content_type()),
                           ["word/document.xml: macro-enabled content type 'application/vnd.ms-word.document."
                            "macroEnabled.main+xml'"]),
    "dotm suffix": ("letter.dotm", template_bytes,
                    ["a macro-enabled Word file; a template may not carry macros (expected a .docx or .dotx "
                     "saved without macros, got '.dotm')"]),
    "docm suffix": ("letter.DOCM", template_bytes, ["a macro-enabled Word file", "got '.DOCM'"]),
    "linked picture": ("letter.docx", lambda: letterhead(external_image=True),
                       ["word/_rels/document.xml.rels: relationship", "(image) points outside the file, to "
                        "'http://evil.example/logo.png'"]),
    "malformed styles": ("letter.docx", lambda: rezip(template_bytes(), {"word/styles.xml": b"<w:styles><w:style>"}),
                         ["word/styles.xml: malformed XML:", "(expected well-formed XML)"]),
    "malformed relationships": ("letter.docx", lambda: rezip(template_bytes(), {"_rels/.rels": b"<Relationships"}),
                                ["_rels/.rels: malformed XML"]),
    "entity expansion": ("letter.docx", lambda: rezip(template_bytes(), {"word/settings.xml": textwrap.dedent("""\
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
        <w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol2;</w:settings>
        """).encode()}), ["word/settings.xml: a document type declaration (DOCTYPE)"]),
    "corrupt deflate": ("letter.docx", corrupt_deflate, ["word/document.xml: cannot be read:",
                                                         "(expected an intact zip entry)"]),
    "missing content types": ("letter.docx", lambda: rezip(template_bytes(), {"[Content_Types].xml": None}),
                              ["[Content_Types].xml: missing (expected in every Office Open XML package)"]),
    "missing styles part": ("letter.docx", lambda: rezip(template_bytes(), {"word/styles.xml": None}),
                            ["word/styles.xml: missing (expected: word/_rels/document.xml.rels names it as relationship"]),
    "missing document part": ("letter.docx", lambda: rezip(template_bytes(), {"word/document.xml": None}),
                              ["is not a Word .docx document"]),
    "not a zip": ("letter.docx", lambda: b"PK\x03\x04 but nothing else", ["is not a Word .docx document"]),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_or_unsafe_template_is_refused_naming_the_file_and_part(case, make_plan, tmp_path, capsys):
    name, make, expected = CASES[case]
    plan = make_plan(None, DATA)
    template = tmp_path / name
    template.write_bytes(make())
    out = tmp_path / "out"
    code, err = build(plan, out, template, capsys)
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert name in err
    for text in expected:
        assert text in err
    assert written(out) == []


def test_a_folder_given_as_template_is_refused(make_plan, tmp_path, capsys):
    plan = make_plan(None, DATA)
    folder = tmp_path / "letter.docx"
    folder.mkdir()
    code, err = build(plan, tmp_path / "out", folder, capsys)
    assert code == 2 and "letter.docx" in err and "Traceback" not in err


def test_a_letterhead_with_links_builds_and_no_output_carries_an_external_link_or_macro(make_plan, tmp_path, capsys):
    plan = make_plan(None, DATA)
    template = tmp_path / "letter.docx"
    template.write_bytes(letterhead())
    # The input really holds what the outputs must not.
    assert b'TargetMode="External"' in part_of(template.read_bytes(), "word/_rels/settings.xml.rels")
    out = tmp_path / "out"
    code, err = build(plan, out, template, capsys)
    assert code == 0, err
    revision = next(p for p in (out / "mini" / "2024-Q1").iterdir() if p.name.startswith("r"))
    # snapshot/ keeps the inputs as given (a rebuild reads them); everything else was produced.
    produced = [p for p in revision.rglob("*") if p.suffix in (".docx", ".xlsx")
                and "snapshot" not in p.relative_to(revision).parts]
    assert {p.name for p in produced} >= {"health.docx", "water.docx", "executive.docx", "results.xlsx"}
    for path in produced:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                content = archive.read(info)
                assert "vbaproject" not in info.filename.lower(), (path, info.filename)
                for forbidden in FORBIDDEN:
                    assert forbidden not in content, (path.name, info.filename, forbidden)
    pack = docx.Document(str(revision / "health.docx"))
    header = "\n".join(p.text for p in pack.sections[0].header.paragraphs)
    assert "ORGANISATION LETTERHEAD www.organisation.example" in header  # the link's text stays
    assert audit(revision / "health.docx") == ""


def test_a_dotx_template_is_used_like_a_docx(make_plan, tmp_path, capsys):
    types = part_of(template_bytes(), "[Content_Types].xml").replace(
        b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
    template = tmp_path / "letter.dotx"
    template.write_bytes(rezip(template_bytes(), {"[Content_Types].xml": types}))
    code, err = build(make_plan(None, DATA), tmp_path / "out", template, capsys)
    assert code == 0, err


BOMB = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from review.cli.main import main
code = main(sys.argv[1:])
print("peak_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def test_a_template_that_expands_to_gigabytes_is_refused_in_bounded_time_and_memory(make_plan, tmp_path):
    """A 2 GB part of zeros, deflated to a few megabytes: refused from the sizes the zip declares."""
    template = tmp_path / "bomb.docx"
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in ("[Content_Types].xml", "_rels/.rels", "word/document.xml"):
            archive.writestr(name, part_of(template_bytes(), name))
        with archive.open("word/media/image1.png", "w", force_zip64=True) as stream:
            chunk = bytes(16 * 1024 * 1024)
            for _ in range(128):
                stream.write(chunk)
    assert template.stat().st_size < 16 * 1024 * 1024
    plan = make_plan(None, DATA)
    limit = 1024 * 1024 * 1024  # 1 GB of address space: the part itself would not fit
    done = subprocess.run([sys.executable, "-c", BOMB.format(limit=limit), "build", str(plan), "--period", "2024-Q1",
                           "--out", str(tmp_path / "out"), "--template", str(template), "-q"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REVIEW_WORKERS": "1", "PYTHONPATH": str(Path(__file__).parents[2])})
    assert done.returncode == 2, done.stderr
    assert "bomb.docx: holds 4 entries expanding to 2,147," in done.stderr
    assert "Traceback" not in done.stderr
    assert written(tmp_path / "out") == []
