"""The period's content store (issue 20 item 2): chunks cut by format, stored once by SHA-256,
reassembled byte for byte."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import stat
import zipfile
import zlib
from pathlib import Path

import pytest

from review.archive import store


def pieces(name: str, data: bytes) -> list[bytes]:
    ends = store.chunk_ends(name, data)
    return [data[start:end] for start, end in zip([0, *ends], ends)]


def a_zip(members: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, (data, method) in members.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = method
            package.writestr(info, data)
    return buffer.getvalue()


def picture(seed: int, size: int = 3000) -> bytes:
    return random.Random(seed).randbytes(size)  # incompressible, like a PNG


def test_a_zip_is_cut_at_each_member_and_a_stored_members_data_is_a_chunk_of_its_own(tmp_path):
    image = picture(1)
    data = a_zip({"[Content_Types].xml": (b"<Types/>" * 50, zipfile.ZIP_DEFLATED),
                  "word/document.xml": ("<w:t>نص عربي</w:t>".encode("utf-8") * 200, zipfile.ZIP_DEFLATED),
                  "word/media/image1.png": (image, zipfile.ZIP_STORED)})
    parts = pieces("pack.docx", data)
    assert b"".join(parts) == data
    # Two deflated members (header and data), the picture's header, the picture, the central directory.
    assert len(parts) == 5 and image in parts
    assert parts[0].startswith(b"PK\x03\x04") and parts[1].startswith(b"PK\x03\x04")
    assert parts[-1].startswith(b"PK\x01\x02")
    # The same picture as a chart file (one chunk) is the same chunk: stored once.
    folder = tmp_path / ".store"
    recipe, written = store.store_file(folder, "pack.docx", data, durable=False)
    assert store.reassemble(folder, recipe) == data
    chart, added = store.store_file(folder, "charts/c.png", image, durable=False)
    assert chart == [hashlib.sha256(image).hexdigest()] and chart[0] in recipe and added == 0


def test_a_changed_member_costs_that_member_only(tmp_path):
    members = {f"ppt/slides/slide{n}.xml": (f"<p:sld n='{n}'>".encode() * 300, zipfile.ZIP_DEFLATED)
               for n in range(1, 9)}
    before = a_zip(members)
    members["ppt/slides/slide4.xml"] = (b"<p:sld n='4' changed>" * 300, zipfile.ZIP_DEFLATED)
    after = a_zip(members)
    old, new = set(pieces("deck.pptx", before)), pieces("deck.pptx", after)
    # New: the changed member and the central directory (it holds the members' offsets); a later
    # member's local header holds no offset, so its chunk is found again although it moved.
    assert [p for p in new if p not in old] == [new[3], new[-1]]


def test_a_file_that_is_no_zip_is_one_chunk(tmp_path):
    data = b"PK\x03\x04 not really a zip" * 10
    assert pieces("broken.docx", data) == [data]
    assert pieces("charts/c.png", picture(2)) == [picture(2)]
    assert store.chunk_ends("empty.json", b"") == []


def a_page(rows: int, changed: int | None = None) -> bytes:
    lines = ["<html><body><table>"]
    for n in range(rows):
        value = "٧٥٫٠" if n == changed else f"{n % 97},{n}"
        lines.append(f"<tr><td>المؤشر رقم {n}</td><td>{value}</td><td>الجهة المسؤولة {n % 13}</td></tr>")
    series = ",".join(f'"I{n:04d}":[{n},{n + 1},{n * 2}]' for n in range(3000))
    lines.append(f'<script type="application/json">{{"series":{{{series}}}}}</script>')
    lines.append("</table></body></html>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_text_is_cut_by_its_content_into_chunks_of_a_few_kilobytes():
    data = a_page(2000)
    parts = pieces("dashboard.html", data)
    assert b"".join(parts) == data
    sizes = [len(p) for p in parts]
    assert all(size >= store.TEXT_MIN for size in sizes[:-1])
    assert 2048 <= sum(sizes) / len(sizes) <= 16384
    # Cuts fall at line ends, or inside the one long line after ," — never inside a word.
    assert all(p.endswith(b"\n") or p.endswith(b',') for p in parts)
    assert any(p.endswith(b",") for p in parts)  # the long line was cut inside too


def test_an_edit_in_a_text_changes_the_chunks_around_it_only():
    before, after = a_page(2000), a_page(2000, changed=1000)
    old = set(pieces("dashboard.html", before))
    new = [p for p in pieces("dashboard.html", after) if p not in old]
    assert 1 <= len(new) <= 2 and sum(map(len, new)) < 3 * store.TEXT_MAX
    # An insertion shifts every later byte; the chunks after it are found again all the same.
    inserted = before.replace(b"<tr><td>\xd8\xa7\xd9\x84\xd9\x85\xd8\xa4\xd8\xb4\xd8\xb1 \xd8\xb1\xd9\x82\xd9\x85 10<",
                              b"<tr><td>new row</td></tr>\n<tr><td>\xd8\xa7\xd9\x84\xd9\x85\xd8\xa4\xd8\xb4\xd8\xb1 "
                              b"\xd8\xb1\xd9\x82\xd9\x85 10<", 1)
    assert inserted != before
    assert len([p for p in pieces("dashboard.html", inserted) if p not in old]) <= 2


def test_chunks_are_stored_once_compressed_when_smaller_and_read_only(tmp_path):
    folder = tmp_path / ".store"
    text = a_page(500)
    recipe, written = store.store_file(folder, "results.json", text, durable=True)
    assert store.reassemble(folder, recipe) == text and 0 < written < len(text) / 3
    for digest in recipe:
        path = store.chunk_path(folder, digest)
        assert path is not None and path.name == digest + store.COMPRESSED and path.parent == folder
        assert zlib.decompress(path.read_bytes()) == store.get(folder, digest)
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    # Incompressible bytes are stored as they are; storing again writes nothing.
    image = picture(3)
    digest, added = store.put(folder, image, durable=False)
    assert added == len(image) and store.chunk_path(folder, digest).name == digest
    assert store.put(folder, image, durable=False) == (digest, 0)
    assert store.store_file(folder, "results.json", text, durable=False) == (recipe, 0)
    assert store.leftovers(folder) == []


def test_an_altered_chunk_is_named(tmp_path):
    folder = tmp_path / ".store"
    folder.mkdir()
    digest, _ = store.put(folder, picture(4), durable=False)
    path = store.chunk_path(folder, digest)
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(store.ChunkProblem, match=f"chunk {digest[:12]}… changed in .store") as caught:
        store.reassemble(folder, [digest])
    assert caught.value.digest == digest
    path.unlink()
    with pytest.raises(store.ChunkProblem, match="missing from .store"):
        store.get(folder, digest)


def test_a_store_below_an_arabic_folder(tmp_path):
    folder = tmp_path / "مخرجات" / "خطة" / "2025-Q1" / store.STORE_DIR
    data = a_zip({"word/document.xml": ("<w:t>مسودة للمراجعة</w:t>".encode("utf-8"), zipfile.ZIP_DEFLATED)})
    recipe, _ = store.store_file(folder, "تقرير.docx", data, durable=True)
    assert store.reassemble(folder, recipe) == data
    assert [p.name for p in Path(folder).iterdir()] and store.is_digest(recipe[0])


def test_a_damaged_chunk_found_in_the_store_is_written_again(tmp_path):
    # A chunk written before a crash may be empty or cut short: put checks it before trusting it.
    folder = tmp_path / ".store"
    folder.mkdir()
    chunk = b"one figure changed " * 200
    digest, written = store.put(folder, chunk, durable=False)
    assert written > 0
    path = store.chunk_path(folder, digest)
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    path.write_bytes(path.read_bytes()[:5])
    os.chmod(path, stat.S_IREAD)
    again, written = store.put(folder, chunk, durable=False)
    assert again == digest and written > 0 and store.get(folder, digest) == chunk
    assert not store.chunk_path(folder, digest).stat().st_mode & stat.S_IWUSR
    # An intact chunk is not written again.
    assert store.put(folder, chunk, durable=False) == (digest, 0)


def test_bytes_after_a_compressed_chunk_are_reported(tmp_path):
    folder = tmp_path / ".store"
    folder.mkdir()
    chunk = b"text " * 500
    digest, _ = store.put(folder, chunk, durable=False)
    path = store.chunk_path(folder, digest)
    assert path.name.endswith(store.COMPRESSED)
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    path.write_bytes(path.read_bytes() + b"planted")
    with pytest.raises(store.ChunkProblem, match="bytes after the end of the compressed data"):
        store.get(folder, digest)
    path.write_bytes(zlib.compress(chunk)[:-6])
    with pytest.raises(store.ChunkProblem, match="cut short"):
        store.get(folder, digest)


# -- borrowed chunks: found inside whole files (issue 20 item 2) ------------------------------------

def test_a_chunk_not_in_the_store_is_read_from_its_borrowed_place_and_checked(tmp_path):
    period = tmp_path / "2025-Q1"
    folder = period / store.STORE_DIR
    folder.mkdir(parents=True)
    latest = a_page(2000, changed=5)
    (period / "r2").mkdir()
    (period / "r2" / "dashboard.html").write_bytes(latest)
    earlier = a_page(2000)
    places = {digest: ("r2/dashboard.html", offset, size)
              for digest, offset, size in store.chunk_places("dashboard.html", latest)}
    # Storing r1's page with every chunk r2's page holds borrowed: only the differing ones written.
    recipe, written = store.store_file(folder, "dashboard.html", earlier, durable=False,
                                       borrow=lambda digest: digest in places)
    written_chunks = {p.name.removesuffix(store.COMPRESSED) for p in folder.iterdir()}
    assert written_chunks == set(recipe) - set(places) and 1 <= len(written_chunks) <= 2
    assert 0 < written < 3 * store.TEXT_MAX
    borrowed = store.Borrowed(period, places)
    assert store.reassemble(folder, recipe, borrowed=borrowed) == earlier
    with pytest.raises(store.ChunkProblem, match="missing from .store"):
        store.reassemble(folder, recipe)  # without the index, the borrowed chunks are not found
    # The index as written reads back the same, and lists each file once.
    (folder / store.BORROWED).write_bytes(borrowed.to_bytes())
    again = store.read_borrowed(folder)
    assert again.places == places and again.problem is None and again.files() == ["r2/dashboard.html"]
    assert json.loads((folder / store.BORROWED).read_text(encoding="utf-8"))["files"] == ["r2/dashboard.html"]
    assert store.strays(folder) == []
    # An altered byte in the whole file: the chunk holding it is named with the file.
    digest, (_, offset, size) = next((d, p) for d, p in sorted(places.items()) if d in recipe)
    page = bytearray(latest)
    page[offset + 3] ^= 1
    (period / "r2" / "dashboard.html").write_bytes(bytes(page))
    with pytest.raises(store.ChunkProblem, match=f"chunk {digest[:12]}… changed in r2/dashboard.html "
                                                 r"\(borrowed from there") as caught:
        store.reassemble(folder, recipe, borrowed=store.read_borrowed(folder))
    assert caught.value.digest == digest
    (period / "r2" / "dashboard.html").unlink()
    with pytest.raises(store.ChunkProblem, match="borrowed from r2/dashboard.html, which is unreadable"):
        store.get(folder, digest, store.read_borrowed(folder))


@pytest.mark.parametrize("damaged", ["{", "[]", '{"files": ["../x"], "chunks": {}}',
                                     '{"files": ["r2/a"], "chunks": {"abc": [0, 0, 1]}}',
                                     '{"files": ["r2/a"], "chunks": {"' + "a" * 64 + '": [1, 0, 1]}}',
                                     '{"files": ["r2/a"], "chunks": {"' + "a" * 64 + '": [0, -1, 1]}}',
                                     '{"files": ["a"], "chunks": {}}'])
def test_a_damaged_index_of_borrowed_chunks_is_a_problem_not_a_traceback(tmp_path, damaged):
    folder = tmp_path / store.STORE_DIR
    folder.mkdir()
    (folder / store.BORROWED).write_text(damaged, encoding="utf-8")
    borrowed = store.read_borrowed(folder)
    assert borrowed.places == {} and borrowed.problem is not None
    with pytest.raises(store.ChunkProblem, match=r"missing from \.store \(borrowed\.json: "):
        store.get(folder, "a" * 64, borrowed)
    assert store.read_borrowed(tmp_path / "none").problem is None  # no index: nothing borrowed
