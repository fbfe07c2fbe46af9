"""Shared helpers for the Word tests: a tiny PNG and the strict Open XML audit."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

AUDIT = Path(sys.executable).parent / "openxml-audit"


def make_png(width: int = 40, height: int = 20) -> bytes:
    """Return a small RGB gradient PNG built by hand (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, 90, y * 255 // height))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def audit(path: Path) -> list[dict]:
    """Return the findings of ``openxml-audit --policy strict`` on ``path`` (empty when clean)."""
    assert AUDIT.exists(), f"openxml-audit is not installed next to {sys.executable}"
    result = subprocess.run([str(AUDIT), "--policy", "strict", "-o", "json", "-m", "0", str(path)],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    findings = [error for entry in report for error in entry.get("errors", [])]
    assert (result.returncode == 0) == (not findings), result.stdout + result.stderr
    return findings


@pytest.fixture
def png() -> bytes:
    return make_png()
