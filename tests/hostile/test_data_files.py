"""Hostile data files (issue 14, data part): read completely or refused, located, in bounded time
and memory, and never an internal error.

Every input is generated here. Each case runs the command line (in process, or in a child process
under a memory and time limit for the bombs) and checks the exit code, that the message names the
file and what it is about, that no traceback is printed, and that a refused build wrote nothing.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from review.cli.main import main
from review.intake.data import read_data
from review.intake.plan import load_plan
from review.model.periods import Period
from tests.conftest import ROOT

PERIOD = "2024-Q1"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# -- helpers --------------------------------------------------------------------------------------

def workbook(rows: list[list], title: str = "indicators", formulas: dict[str, str] | None = None) -> bytes:
    """Return an .xlsx (openpyxl) with one sheet of ``rows``; ``formulas`` puts formulas in cells,
    saved without a value as openpyxl always does."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref, formula in (formulas or {}).items():
        sheet[ref] = formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_part(content: bytes, name: str, write: Callable[[io.BufferedIOBase], None] | bytes | None,
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Return the .xlsx ``content`` with the part ``name`` replaced (or added) by what ``write``
    writes, streamed so that a part of many megabytes costs no memory here; None removes it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
        if isinstance(write, bytes):
            target.writestr(name, write)
        elif write is not None:
            with target.open(name, "w", force_zip64=True) as handle:
                write(handle)
    return out.getvalue()


def sheet_xml(body: str, dimension: str | None = None) -> bytes:
    """Return a worksheet part holding ``body`` (the rows) in its sheetData."""
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">{head}'
            f"<sheetData>{body}</sheetData></worksheet>").encode()


def streamed_sheet(row: bytes, count: int, head: bytes = b"") -> Callable[[io.BufferedIOBase], None]:
    """Return a writer of a worksheet part of ``count`` copies of ``row``."""
    def write(handle: io.BufferedIOBase) -> None:
        handle.write(f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode() + head)
        block = row * 1000
        for _ in range(count // 1000):
            handle.write(block)
        handle.write(row * (count % 1000) + b"</sheetData></worksheet>")
    return write


VALID = workbook([["indicator_id", "value"], ["H1", 70]])


def cli(capsys, *args: str) -> tuple[int, str]:
    """Run the command line in this process; return (exit code, what it printed)."""
    code = main(list(args))
    printed = capsys.readouterr()
    return code, printed.err + printed.out


def written(out: Path) -> list[Path]:
    """Return the files a build left under ``out`` (its cache and lock file are not builds)."""
    return [p for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts and p.name != ".lock"]


def refused(capsys, folder: Path, command: str, tmp_path: Path) -> str:
    """Run ``command`` (validate or build) on ``folder``: assert exit 2, no traceback, no
    internal error and, for a build, nothing written; return what it printed."""
    out = tmp_path / "out"
    args = ["validate", str(folder)] if command == "validate" else [
        "build", str(folder), "--period", PERIOD, "--out", str(out), "-q"]
    code, text = cli(capsys, *args)
    assert code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    if command == "build":
        assert written(out) == []
    return text


def accepted(capsys, folder: Path) -> str:
    """Run ``validate`` on ``folder``: assert exit 0 and no traceback; return what it printed."""
    code, text = cli(capsys, "validate", str(folder))
    assert code == 0, text
    assert "Traceback" not in text
    return text


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    # Messages give paths relative to the working directory: short, and the same in every run.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REVIEW_WORKERS", "1")


BOTH = pytest.mark.parametrize("command", ["validate", "build"])


# -- 1. nothing lost ------------------------------------------------------------------------------

@pytest.mark.parametrize("dimension", ["A1:B2", "B3:B4"])
def test_a_stale_sheet_dimension_is_read_completely(make_plan, capsys, dimension):
    rows = [["نموذج"], [], ["indicator_id", "value"], ["H1", 70], ["H2", 50], [], ["W1", 12]]
    body = "".join(f'<row r="{n}">' + "".join(
        f'<c r="{"AB"[i]}{n}" t="inlineStr"><is><t>{v}</t></is></c>' if isinstance(v, str)
        else f'<c r="{"AB"[i]}{n}"><v>{v}</v></c>' for i, v in enumerate(row)) + "</row>"
        for n, row in enumerate(rows, start=1) if row)
    content = with_part(VALID, "xl/worksheets/sheet1.xml", sheet_xml(body, dimension))
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    accepted(capsys, folder)
    data = read_data(load_plan(folder), folder).get(Period.parse(PERIOD))
    assert {k: v.value for k, v in data.indicators.items()} == {"H1": 70, "H2": 50, "W1": 12}
    assert str(data.indicators["W1"].origin.where) == "sheet 'indicators', row 7"


@BOTH
def test_an_unterminated_csv_quote_is_located_where_it_opened(make_plan, capsys, tmp_path, command):
    text = 'indicator_id,value,note\nH1,70,ok\nH2,50,"never closed\nW1,12,x\nW1,13,y\n'
    folder = make_plan(data={PERIOD: {"indicators.csv": text}})
    printed = refused(capsys, folder, command, tmp_path)
    assert (f"data/{PERIOD}/indicators.csv: row 3: a quoted cell opens on this line and is never closed "
            "(expected a closing '\"' before the end of the file") in printed


def test_text_after_a_closing_quote_names_both_lines(make_plan, capsys, tmp_path):
    text = 'indicator_id,value,note\nH1,70,"stray\nH2,50,"quoted" more\n'
    folder = make_plan(data={PERIOD: {"indicators.csv": text}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert ("indicators.csv: row 2: a quoted cell opens on this line and its closing quote on line 3 is "
            "followed by 'quoted\" more'") in printed


def test_a_quoted_note_over_several_lines_is_still_one_cell(make_plan):
    text = 'indicator_id,value,note\nH1,70,"first line\nsecond, with ""quotes"""\nH2,50,\n'
    folder = make_plan(data={PERIOD: {"indicators.csv": text}})
    data = read_data(load_plan(folder), folder).get(Period.parse(PERIOD))
    assert data.indicators["H1"].note == 'first line\nsecond, with "quotes"'
    assert data.indicators["H2"].value == 50


def test_a_formula_without_a_saved_value_is_named_in_a_warning(make_plan, capsys):
    content = workbook([["indicator_id", "value"], ["H1", None], ["H2", 40]], formulas={"B2": "=20+50"})
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    printed = accepted(capsys, folder)
    assert (f"warning: mini/data/{PERIOD}/indicators.xlsx: sheet 'indicators', row 2: cell B2: a formula without "
            "a saved value: read as blank") in printed


def test_a_link_to_another_workbook_is_named_in_a_warning(make_plan, capsys):
    link = f'<externalLink xmlns="{SHEET_NS}"><externalBook/></externalLink>'.encode()
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/externalLinkPath" Target="file:///C:/figures/other.xlsx" TargetMode="External"/>'
            b"</Relationships>")
    content = with_part(with_part(VALID, "xl/externalLinks/externalLink1.xml", link),
                        "xl/externalLinks/_rels/externalLink1.xml.rels", rels)
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    printed = accepted(capsys, folder)
    assert (f"warning: mini/data/{PERIOD}/indicators.xlsx: the workbook links to 'file:///C:/figures/other.xlsx': "
            "the linked cells are read as last saved") in printed


def test_entries_that_are_not_files_are_named_in_warnings(make_plan, capsys):
    folder = make_plan(data={PERIOD: {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    period = folder / "data" / PERIOD
    (period / "indicators-old.csv").mkdir()
    (period / "projects-gone.csv").symlink_to("missing.csv")
    printed = accepted(capsys, folder)
    assert f"warning: mini/data/{PERIOD}/indicators-old.csv: ignored: a folder, not a data file" in printed
    assert f"warning: mini/data/{PERIOD}/projects-gone.csv: ignored: a link to a missing file, not a data file" in printed


def test_a_named_pipe_is_named_and_never_read(make_plan):
    """A FIFO would block a reader for ever: the run ends, in a child process under a time limit."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    folder = make_plan(data={PERIOD: {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    os.mkfifo(folder / "data" / PERIOD / "indicators-pipe.csv")
    result = subprocess.run([sys.executable, "-m", "review", "validate", str(folder)], capture_output=True,
                            text=True, timeout=120, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (f"warning: data/{PERIOD}/indicators-pipe.csv: ignored: a named pipe (FIFO), not a data file"
            in result.stdout + result.stderr)


@BOTH
def test_a_link_out_of_the_plan_folder_is_refused(make_plan, capsys, tmp_path, command):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("indicator_id,value\nH1,70\n", encoding="utf-8")
    folder = make_plan(data={PERIOD: {}})
    (folder / "data" / PERIOD / "indicators.csv").symlink_to(outside)
    (folder / "data" / PERIOD / "projects-device.csv").symlink_to(os.devnull)
    printed = refused(capsys, folder, command, tmp_path)
    assert f"data/{PERIOD}/indicators.csv: refused: a link to '{outside.resolve()}', outside the plan folder" in printed
    assert f"data/{PERIOD}/projects-device.csv: refused: a link to '{os.devnull}', outside the plan folder" in printed


def test_a_link_inside_the_plan_folder_is_read(make_plan):
    folder = make_plan(data={PERIOD: {}})
    (folder / "shared.csv").write_text("indicator_id,value\nH1,70\n", encoding="utf-8")
    (folder / "data" / PERIOD / "indicators.csv").symlink_to(Path("..") / ".." / "shared.csv")
    data = read_data(load_plan(folder), folder).get(Period.parse(PERIOD))
    assert data.indicators["H1"].value == 70


# -- 2. bounded time and memory -------------------------------------------------------------------

#: Address space a bomb's child process may use: the command line needs about 300 MB of it; reading
#: any of these bombs in full would need gigabytes.
MEMORY_LIMIT = 1024 * 1024 * 1024
#: Generous: each bomb is refused in a few seconds; reading one in full takes minutes.
TIME_LIMIT = 120

RUN_LIMITED = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from review.cli.main import main
    code = main(sys.argv[1:])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory: {{peak // 1024}} MB", file=sys.stderr)
    sys.exit(code)
""")


def run_limited(folder: Path) -> subprocess.CompletedProcess:
    """Return ``review validate`` of ``folder`` run in a child process under the memory and time limits."""
    script = RUN_LIMITED.format(limit=MEMORY_LIMIT)
    return subprocess.run([sys.executable, "-c", script, "validate", str(folder)], capture_output=True, text=True,
                          timeout=TIME_LIMIT, cwd=folder.parent, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _cells(handle: io.BufferedIOBase) -> None:
    # 5,000,000 cells (about 80 MB of XML) in a file of a few hundred kilobytes.
    streamed_sheet(b"<row>" + b"<c><v>1</v></c>" * 50 + b"</row>", 100_000)(handle)


def _strings(handle: io.BufferedIOBase) -> None:
    handle.write(f'<?xml version="1.0"?><sst xmlns="{SHEET_NS}">'.encode())
    for _ in range(5_000):
        handle.write(b"<si><t>x</t></si>" * 1_000)
    handle.write(b"</sst>")


def _elements(handle: io.BufferedIOBase) -> None:
    handle.write(b'<?xml version="1.0"?><root>')
    for _ in range(5_000):
        handle.write(b"<x/>" * 1_000)
    handle.write(b"</root>")


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
          b'&lol;&lol;&lol;&lol;&lol;">' + b"".join(
              b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(3, 10))
          + f'<worksheet xmlns="{SHEET_NS}"><sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c>'
            "</row></sheetData></worksheet>".encode())

BOMBS = {
    "cells": ("xl/worksheets/sheet1.xml", _cells, "sheet 'indicators': more than 500,000 cells in the file; refused"),
    "shared strings": ("xl/sharedStrings.xml", _strings, "more than 500,000 shared strings; refused"),
    "rows": ("xl/worksheets/sheet1.xml", sheet_xml('<row r="1048576"><c r="A1048576"><v>1</v></c></row>'),
             "sheet 'indicators': more than 100,000 rows; refused"),
    "columns": ("xl/worksheets/sheet1.xml", sheet_xml("".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'
                                                              for n in range(1, 5_001))),
                "sheet 'indicators', row 1: more than 1,000 columns; refused"),
    "elements": ("customXml/item1.xml", _elements, "the part 'customXml/item1.xml' holds more than 200,000 XML "
                                                   "elements; refused"),
    "entities": ("xl/worksheets/sheet1.xml", LAUGHS, "the part 'xl/worksheets/sheet1.xml' declares a DTD, which "
                                                     "Excel never writes; refused"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_an_xlsx_bomb_is_refused_in_bounded_time_and_memory(make_plan, bomb):
    part, write, message = BOMBS[bomb]
    content = with_part(VALID, part, write)
    assert len(content) < 1024 * 1024  # small on disk: the bomb is in what it unpacks to
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    result = run_limited(folder)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"mini/data/{PERIOD}/indicators.xlsx: {message}" in result.stderr


def test_a_csv_of_one_endless_row_is_refused_in_bounded_time_and_memory(make_plan):
    folder = make_plan(data={PERIOD: {"indicators.csv": "indicator_id,value\nH1" + "," * 9_000_000 + "\n"}})
    result = run_limited(folder)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"mini/data/{PERIOD}/indicators.csv: row 2: more than 1,000 columns (9,000,001); refused" in result.stderr


def test_no_message_echoes_more_than_a_few_hundred_characters(make_plan, capsys, tmp_path):
    huge = "٩" * 5_000 + "x" * 15_000
    text = (f"indicator_id,value,{'h' * 50_000}\n{'Z' * 20_000},1\nH1,{huge}\n"
            "W1,1,\n")
    challenges = f"sector_id,description,severity\nhealth,x,{'u' * 30_000}\n"
    folder = make_plan(data={PERIOD: {"indicators.csv": text, "challenges.csv": challenges}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert "unknown indicator id 'ZZZZ" in printed and "(20,000 characters)" in printed
    assert "indicator H1 (sector health): expected a number" in printed
    assert "challenge (sector health): expected high, medium or low" in printed
    assert max(map(len, printed.splitlines())) < 600


# -- 3. validate is the gate ----------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("nan", "'nan'"), ("inf", "'inf'"), ("-Infinity", "'-Infinity'"),
    ("1,000,000,000,000,001", "'1,000,000,000,000,001'"), ("9" * 400, "'9999"),
])
def test_csv_numbers_that_no_pack_can_print_are_refused(make_plan, capsys, tmp_path, value, shown):
    folder = make_plan(data={PERIOD: {"indicators.csv": f'indicator_id,value\nW1,"{value}"\n'}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert f"data/{PERIOD}/indicators.csv: row 2: column 'value': indicator W1 (sector water): expected a number" in printed
    assert f"got {shown}" in printed


@pytest.mark.parametrize("stored, message", [
    ("1E+400", "column 'value': indicator H2 (sector health): expected a number between "
               "-1,000,000,000,000,000 and 1,000,000,000,000,000, got inf"),
    ("-2E+15", "column 'value': indicator H2 (sector health): expected a number between"),
    ("NaN", "cell B2: expected a number stored in the cell, got 'NaN'"),
    ("9" * 500, "cell B2: expected a number stored in the cell, got '9999"),
])
def test_excel_numbers_that_no_pack_can_print_are_refused(make_plan, capsys, tmp_path, stored, message):
    body = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>indicator_id</t></is></c><c r="B1" t="inlineStr"><is>'
            f'<t>value</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>H2</t></is></c>'
            f'<c r="B2"><v>{stored}</v></c></row>')
    content = with_part(VALID, "xl/worksheets/sheet1.xml", sheet_xml(body))
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert f"data/{PERIOD}/indicators.xlsx: sheet 'indicators', row 2: {message}" in printed


@pytest.mark.parametrize("file, text, where", [
    ("indicators.csv", "indicator_id,value,note\nH1,70,bad\x07bell\n",
     "row 2: column 'note': indicator H1 (sector health): expected text without control characters, "
     "got U+0007 at character 4 in 'bad\\x07bell'"),
    ("indicators.csv", "indicator_id,value,source\nW1,70,\x1b[31mred\n",
     "row 2: column 'source': indicator W1 (sector water): expected text without control characters, got U+001B"),
    ("indicators.csv", "indicator_id,value\nH\x0b1,70\n",
     "row 2: column 'indicator_id': expected text without control characters, got U+000B at character 2"),
    ("projects.csv", "project_id,progress,note\nP1,40,\x7f\n",
     "row 2: column 'note': project P1 (sector health): expected text without control characters, got U+007F"),
    ("challenges.csv", "sector_id,description,indicator_id\nhealth,نقص\x08,H2\n",
     "row 2: column 'description': challenge (sector health, indicator H2): expected text without control characters"),
    ("recommendations.csv", "id,text,sector_id\nR1,رفع\x85,water\n",
     "row 2: column 'text': recommendation 'R1' (sector water): expected text without control characters, got U+0085"),
])
def test_control_characters_in_data_text_are_refused_located(make_plan, capsys, tmp_path, file, text, where):
    folder = make_plan(data={PERIOD: {file: text}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert f"data/{PERIOD}/{file}: {where}" in printed


def test_text_longer_than_an_excel_cell_is_refused(make_plan, capsys, tmp_path):
    folder = make_plan(data={PERIOD: {"indicators.csv": f"indicator_id,value,note\nH2,7,{'م' * 40_000}\n"}})
    printed = refused(capsys, folder, "validate", tmp_path)
    assert (f"data/{PERIOD}/indicators.csv: row 2: column 'note': indicator H2 (sector health): expected at most "
            "32,767 characters (what an Excel cell holds), got 40,000") in printed


def test_tabs_and_new_lines_in_notes_are_text(make_plan):
    folder = make_plan(data={PERIOD: {"indicators.csv": 'indicator_id,value,note\nH1,70,"a\tb\r\nc"\n'}})
    data = read_data(load_plan(folder), folder).get(Period.parse(PERIOD))
    assert data.indicators["H1"].note == "a\tb\r\nc"


# -- 4. bad files are input errors ----------------------------------------------------------------

def _corrupt_deflate(content: bytes) -> bytes:
    """Return ``content`` with the compressed bytes of its sheet part overwritten."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(content)
    # The local header is 30 bytes plus the name and extra field; the compressed data follows.
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start:start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(data)


def _names(content: bytes, old: str, new: str) -> bytes:
    return with_part(content, "xl/workbook.xml",
                     zipfile.ZipFile(io.BytesIO(content)).read("xl/workbook.xml").replace(old.encode(), new.encode()))


BAD_FILES = {
    "malformed sheet": (with_part(VALID, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>"),
                        "damaged workbook: the part 'xl/worksheets/sheet1.xml' is not well-formed XML "
                        "(no element found at line 1"),
    "malformed styles": (with_part(VALID, "xl/styles.xml", b"<styleSheet><x></y></styleSheet>"),
                         "damaged workbook: the part 'xl/styles.xml' is not well-formed XML (mismatched tag"),
    "invalid character": (with_part(VALID, "xl/worksheets/sheet1.xml", sheet_xml('<row><c t="inlineStr"><is><t>'
                                                                                  'a&#7;b</t></is></c></row>')),
                          "is not well-formed XML (reference to invalid character number"),
    "corrupt deflate": (_corrupt_deflate(VALID),
                        "damaged workbook: the part 'xl/worksheets/sheet1.xml' cannot be unpacked ("),
    "missing sheet part": (with_part(VALID, "xl/worksheets/sheet1.xml", None),
                           "damaged workbook: the part of sheet 'indicators' ('xl/worksheets/sheet1.xml') is missing"),
    "missing content types": (with_part(VALID, "[Content_Types].xml", None),
                              "damaged workbook: the part '[Content_Types].xml' is missing"),
    "missing workbook": (with_part(VALID, "xl/workbook.xml", None), "not an Excel .xlsx workbook"),
    "truncated zip": (VALID[: len(VALID) // 2], "not an Excel .xlsx workbook"),
    "sheet name too long": (_names(VALID, 'name="indicators"', 'name="' + "x" * 40 + '"'),
                                  "a sheet name longer than 31 characters ('xxxx"),
    "rows out of order": (with_part(VALID, "xl/worksheets/sheet1.xml", sheet_xml(
        '<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>')),
        "sheet 'indicators': row '2' comes after row 3 (expected rows in increasing order"),
    "missing shared string": (with_part(VALID, "xl/worksheets/sheet1.xml", sheet_xml(
        '<row r="1"><c r="A1" t="s"><v>4000</v></c></row>')),
        "a cell refers to shared string 4,001, but the workbook holds 0"),
}


@BOTH
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_damaged_xlsx_is_an_input_error(make_plan, capsys, tmp_path, case, command):
    content, message = BAD_FILES[case]
    folder = make_plan(data={PERIOD: {"indicators.xlsx": content}})
    printed = refused(capsys, folder, command, tmp_path)
    assert f"data/{PERIOD}/indicators.xlsx: " in printed and message in printed


@BOTH
def test_an_unreadable_file_is_an_input_error(make_plan, capsys, tmp_path, command):
    if os.geteuid() == 0:
        pytest.skip("root reads any file, so permissions cannot make one unreadable")
    folder = make_plan(data={PERIOD: {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    path = folder / "data" / PERIOD / "indicators.csv"
    path.chmod(0)
    try:
        printed = refused(capsys, folder, command, tmp_path)
    finally:
        path.chmod(0o644)
    assert f"data/{PERIOD}/indicators.csv: cannot read the file: permission denied" in printed
