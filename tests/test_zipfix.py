"""Deterministic zips: fixed times, modes and order; SOURCE_DATE_EPOCH honoured."""

from __future__ import annotations

import io
import zipfile

import pytest

from review.zipfix import ZIP_EPOCH, normalize_zip, source_date_time


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
