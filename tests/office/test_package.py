"""Deterministic zips: fixed times, modes and order; SOURCE_DATE_EPOCH honoured."""

from __future__ import annotations

import io
import zipfile

import pytest

from review.office.package import (
    ZIP_EPOCH,
    ZIP_MAX_ENTRIES,
    fit_text,
    normalize_zip,
    package_problems,
    patch_zip,
    source_date_time,
    zip_parts,
)


def make_zip(entries, date_time=(2024, 5, 6, 7, 8, 10), mode=0o100600) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = mode << 16
            archive.writestr(info, content)
    return buffer.getvalue()


ENTRIES = [("word/document.xml", b"<doc/>"), ("_rels/.rels", b"<rels/>"),
           ("[Content_Types].xml", b"<types/>"), ("docProps/core.xml", b"<core/>")]


def test_same_content_same_bytes_whatever_the_timestamps_and_order():
    first = normalize_zip(make_zip(ENTRIES))
    second = normalize_zip(make_zip(list(reversed(ENTRIES)), date_time=(2030, 1, 2, 3, 4, 6),
                                    mode=0o100755))
    assert first == second
    assert normalize_zip(first) == first


def test_entries_are_ordered_stamped_and_deflated():
    data = normalize_zip(make_zip(ENTRIES), date_time=(2023, 11, 14, 22, 13, 20))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["[Content_Types].xml", "_rels/.rels",
                                               "docProps/core.xml", "word/document.xml"]
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert archive.read("word/document.xml") == b"<doc/>"


def test_remembered_runs_of_entries_give_the_same_bytes_and_only_changed_runs_are_compressed(tmp_path):
    from review.archive.cache import remembered
    parts = {f"ppt/slides/slide{n}.xml": f"<p:sld>{n}</p:sld>".encode() * 50 for n in range(1, 120)}
    parts.update({"[Content_Types].xml": b"<types/>", "ppt/media/image1.png": b"\x89PNG" * 10})
    computed = []

    def remember(key, compute):
        return remembered(tmp_path, "parts", key, lambda: computed.append(key) or compute())

    plain = zip_parts(parts, (2024, 1, 2, 3, 4, 6))
    assert zip_parts(parts, (2024, 1, 2, 3, 4, 6), remember) == plain
    runs = len(computed)
    assert runs == 3  # 121 entries in runs of 48
    assert zip_parts(parts, (2030, 1, 2, 3, 4, 6), remember) == zip_parts(parts, (2030, 1, 2, 3, 4, 6))
    assert len(computed) == runs  # other times: the same compressed entries
    changed = {**parts, "ppt/slides/slide7.xml": b"<p:sld>changed</p:sld>"}
    assert zip_parts(changed, (2024, 1, 2, 3, 4, 6), remember) == zip_parts(changed, (2024, 1, 2, 3, 4, 6))
    assert len(computed) == runs + 1  # the run holding the changed entry


def test_not_a_zip_is_refused():
    with pytest.raises(zipfile.BadZipFile):
        normalize_zip(b"not a zip")


@pytest.mark.parametrize("value, expected", [
    (None, ZIP_EPOCH),
    ("", ZIP_EPOCH),
    ("1700000000", (2023, 11, 14, 22, 13, 20)),
    ("0", ZIP_EPOCH),  # 1970 is before the zip epoch: clamped
    ("99999999999", (2107, 12, 31, 23, 59, 58)),
])
def test_source_date_time(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert source_date_time() == expected


def test_source_date_epoch_must_be_a_number(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH: expected a whole number of seconds "
                                         "since 1970-01-01, got 'yesterday'"):
        source_date_time()


def test_patch_zip_edits_some_parts_and_copies_the_rest():
    parts = {"[Content_Types].xml": b"<types/>", "word/document.xml": b"<doc>" + b"text " * 5000 + b"</doc>",
             "word/header1.xml": b"<hdr>Draft RX</hdr>", "word/media/image1.png": b"\x89PNG fake"}
    original = zip_parts(parts, (2024, 1, 2, 3, 4, 6))
    opened = []

    def edit(name, content):
        opened.append(name)
        return content.replace(b"RX", b"r7")

    patched = patch_zip(original, lambda name: name.startswith("word/header"), edit, (2024, 1, 2, 3, 4, 6))
    assert opened == ["word/header1.xml"]
    # The same bytes as writing the edited parts from scratch …
    assert patched == zip_parts({**parts, "word/header1.xml": b"<hdr>Draft r7</hdr>"}, (2024, 1, 2, 3, 4, 6))
    # … and a sound archive: every CRC checks out.
    with zipfile.ZipFile(io.BytesIO(patched)) as archive:
        assert archive.testzip() is None
        assert archive.read("word/header1.xml") == b"<hdr>Draft r7</hdr>"
        assert archive.read("word/document.xml") == parts["word/document.xml"]
        assert archive.getinfo("word/media/image1.png").compress_type == zipfile.ZIP_STORED


def test_patch_zip_restamps_copied_parts():
    parts = {"a.xml": b"<a/>", "b.xml": b"<b/>"}
    patched = patch_zip(zip_parts(parts), lambda name: False, lambda name, content: content, (2030, 6, 7, 8, 9, 10))
    assert patched == zip_parts(parts, (2030, 6, 7, 8, 9, 10))


def test_zip_parts_matches_what_zipfile_reads_back():
    parts = {"word/مستند.xml": "نص عربي".encode(), "[Content_Types].xml": b"<types/>"}
    data = zip_parts(parts, (2023, 11, 14, 22, 13, 20))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert [i.filename for i in archive.infolist()] == ["[Content_Types].xml", "word/مستند.xml"]
        assert archive.read("word/مستند.xml") == parts["word/مستند.xml"]
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_more_entries_than_a_zip_without_zip64_holds_is_refused_by_name():
    # 65,536 tiny entries: refused before any is compressed, so this takes milliseconds.
    parts = dict.fromkeys((f"word/media/p{number}.xml" for number in range(ZIP_MAX_ENTRIES + 1)), b"")
    with pytest.raises(ValueError, match=r"65,536 entries: a zip without ZIP64 holds at most 65,535 "
                                         r"\(the entry-count limit\)"):
        zip_parts(parts)


def test_a_timestamp_a_zip_cannot_hold_is_refused_by_name():
    with pytest.raises(ValueError, match=r"from 1980 to 2107 \(the DOS date limit\)"):
        zip_parts({"a.xml": b"<a/>"}, (1979, 12, 31, 0, 0, 0))


@pytest.mark.parametrize("text, limit, expected", [
    ("abc", 3, "abc"),
    ("abcd", 3, "ab…"),
    ("نص عربي", 7, "نص عربي"),
    ("نص عربي", 5, "نص ع…"),
    ("a😀b", 3, "a…"),  # the emoji counts twice and is not split
    ("😀😀", 3, "😀…"),
    ("a\ud800bcd", 3, "a…"),  # a lone surrogate is dropped, not encoded
])
def test_fit_text_cuts_with_an_ellipsis_counting_as_word_and_excel_do(text, limit, expected):
    assert fit_text(text, limit) == expected
    assert len(fit_text(text, limit).encode("utf-16-le", "surrogatepass")) // 2 <= limit


def test_package_problems_of_a_sound_package_and_of_garbage():
    sound = zip_parts({"[Content_Types].xml": b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
                       "_rels/.rels": b"<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'/>"})
    assert package_problems(sound) == []
    assert package_problems(b"not a zip") == [("", "not a zip archive (expected an Office Open XML package such as a .docx)")]
