"""Contents with page numbers through LibreOffice (issue 16): layout, read back, written into the field."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from review.office import pdf
from review.office.package import patch_zip
from review.office.word import rtl
from review.office.word.writer import PackWriter, contents_anchors

pytestmark = [pytest.mark.layout, pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice (soffice) or poppler's pdfinfo and pdftoppm are not installed: nothing lays the packs out")]


def pack() -> bytes:
    """A pack whose headings fall on known pages: cover 1, contents 2, then one heading a page from 3."""
    w = PackWriter()
    w.title("حقيبة")
    w.page_break()
    w.toc("المحتويات")
    w.page_break()
    for number in range(1, 4):
        w.heading(f"القسم {number}", 1)
        w.paragraph("نص.")
        w.heading(f"فرع {number}", 2)
        w.page_break()
    return w.to_bytes()


def test_number_pages_writes_the_laid_out_pages_into_the_contents(tmp_path):
    draft = pack()
    arabic_digits = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    numbered, pdfs = pdf.number_pages({"a/pack.docx": draft, "notes.txt": b"x"}, lambda n: str(n).translate(arabic_digits))
    assert set(numbered) == {"a/pack.docx"} and set(pdfs) == {"a/pack.pdf"}
    pages = pdf.heading_pages(pdfs["a/pack.pdf"])
    assert pages == {"_Toc000001": 3, "_Toc000002": 3, "_Toc000003": 4, "_Toc000004": 4,
                     "_Toc000005": 5, "_Toc000006": 5}
    assert set(pages) == set(contents_anchors(draft))
    import docx, io
    body = docx.Document(io.BytesIO(numbered["a/pack.docx"])).element.body
    texts = ["".join(t.text or "" for t in link.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")) for link, _ in rtl.internal_links(body)]
    assert texts == ["القسم 1٣", "فرع 1٣", "القسم 2٤", "فرع 2٤", "القسم 3٥", "فرع 3٥"]
    # The PDF copy shows them too, on the contents page.
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdfs["a/pack.pdf"])
    contents = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True,
                              text=True, encoding="utf-8").stdout
    assert contents.count("٣") == 2 and contents.count("٥") == 2  # the plan's digits, as written


def test_number_pages_is_deterministic():
    draft = pack()
    assert pdf.number_pages({"p.docx": draft})[0] == pdf.number_pages({"p.docx": draft})[0]


def test_convert_packs_returns_only_pdfs():
    copies = pdf.convert_packs({"p.docx": pack()})
    assert list(copies) == ["p.pdf"] and copies["p.pdf"].startswith(b"%PDF")


@pytest.mark.parametrize("page_text, context", [(str, False), (lambda n: "٠١٢٣٤٥٦٧٨٩"[n] if n < 10 else str(n), True)])
def test_arabic_digit_plans_have_libreoffice_draw_digits_by_context(monkeypatch, page_text, context):
    # A plan in Arabic-Indic digits: the private profile sets the numerals to "Context", so the
    # page fields' numbers in Arabic text come out Arabic-Indic; a Western-digit plan keeps them.
    seen = []
    real = subprocess.run

    def run(command, **kwargs):
        profile = next((a for a in command if a.startswith("-env:UserInstallation=")), None)
        if profile is not None:  # LibreOffice, not pdfinfo
            settings = Path(unquote(urlparse(profile.split("=", 1)[1]).path)) / "user" / "registrymodifications.xcu"
            seen.append(settings.is_file() and "CTLTextNumerals" in settings.read_text(encoding="utf-8"))
        return real(command, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "run", run)
    pdf.number_pages({"p.docx": pack()}, page_text)
    assert seen and all(found == context for found in seen)


def footer_pixels(pdf_bytes: bytes, page: int, work: Path) -> bytes:
    """Return the grey pixels of the bottom eighth of ``page`` (the footer), drawn at 150 dpi."""
    path = work / "drawn.pdf"
    path.write_bytes(pdf_bytes)
    done = subprocess.run(["pdftoppm", "-gray", "-r", "150", "-f", str(page), "-l", str(page), str(path)],
                          capture_output=True, check=True)
    _, width, height, _, pixels = done.stdout.split(maxsplit=4)  # a binary PGM: P5 w h 255 data
    return pixels[int(height) * 7 // 8 * int(width):]


def differing(a: bytes, b: bytes) -> int:
    """How many pixels two drawings of the same page differ by clearly (not by anti-aliasing)."""
    assert len(a) == len(b)
    return sum(abs(x - y) > 96 for x, y in zip(a, b))


def footer_pack(page_format: str, arabic_digits: bool) -> bytes:
    w = PackWriter()
    w.set_footer(None, page_format, arabic_digits=arabic_digits)
    for number in range(3):
        w.heading("قسم", 1)
        w.paragraph("نص الصفحة.")
        if number < 2:
            w.page_break()
    return w.to_bytes()


def written_out(docx: bytes, pages: tuple[str, str]) -> bytes:
    """Return a footer pack with its PAGE and NUMPAGES fields replaced by their results written
    out as ``pages`` (same runs, same fonts): what the fields must look like when drawn."""
    results = iter(pages * 3)

    def edit(name: str, content: bytes) -> bytes:
        text = content.decode("utf-8")
        text = re.sub(r"<w:r>(?:(?!</w:r>).)*?<w:(?:fldChar|instrText)\b.*?</w:r>", "", text)
        text = re.sub(r"<w:t>١</w:t>|<w:t>1</w:t>", lambda m: f"<w:t>{next(results)}</w:t>", text)
        return text.encode("utf-8")

    return patch_zip(docx, lambda name: name.startswith("word/footer"), edit)



def test_pdf_footers_draw_the_page_numbers_in_the_plan_digits(tmp_path):
    # The page fields hold no digits of their own: LibreOffice computes "2" and "3" and draws them.
    # The PDF's text layer keeps "2" whatever the drawing, so the page is compared, as drawn, with
    # the same footer written out in each kind of digits. The pages show ٢ and ٣ for a plan in
    # Arabic-Indic digits, 2 and 3 for a Western-digit plan.
    fields = "صفحة {PAGE} من {NUMPAGES}"
    live = {True: footer_pack(fields, True), False: footer_pack(fields, False)}
    indic = pdf.convert_packs({"live.docx": live[True], "written.docx": written_out(live[True], ("٢", "٣"))},
                              lambda n: "٠١٢٣٤٥٦٧٨٩"[n] if n < 10 else str(n))
    western = pdf.convert_packs({"live.docx": live[False], "written.docx": written_out(live[False], ("2", "3"))})
    drawn = {(digits, name): footer_pixels(copies[f"{name}.pdf"], 2, tmp_path)
             for digits, copies in (("indic", indic), ("western", western)) for name in ("live", "written")}
    apart = differing(drawn["indic", "written"], drawn["western", "written"])
    assert apart > 20  # ٢ ٣ and 2 3 look different at this size
    assert differing(drawn["indic", "live"], drawn["indic", "written"]) * 10 < apart
    assert differing(drawn["western", "live"], drawn["western", "written"]) * 10 < apart


def test_default_numerals_draw_the_page_numbers_in_arabic_indic_digits_all_the_same(tmp_path):
    # A reader's LibreOffice with its numerals as installed ("Arabic": digits as computed; no
    # profile of ours) computes "2" and "3" for the page fields and draws them ٢ and ٣ for a plan
    # in Arabic-Indic digits all the same: the fields are set in the embedded Review Digits font.
    live = footer_pack("صفحة {PAGE} من {NUMPAGES}", True)
    western = footer_pack("صفحة {PAGE} من {NUMPAGES}", False)
    copies = pdf._convert({"live.docx": live, "indic.docx": written_out(live, ("٢", "٣")),
                           "western.docx": written_out(western, ("2", "3"))}, context_numerals=False)
    drawn = {name.removesuffix(".docx"): footer_pixels(copy, 2, tmp_path) for name, copy in copies.items()}
    apart = differing(drawn["indic"], drawn["western"])
    assert apart > 20
    assert differing(drawn["live"], drawn["indic"]) * 10 < apart
