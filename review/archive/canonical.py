"""Canonical bytes of plain values, for content hashes that must not depend on the process.

``pickle`` output depends on object identity (its memo), so two equal values can pickle
differently in two runs. Cache keys are made from this encoding instead: JSON with sorted keys,
floats written exactly (``repr``), and the project's value types spelled out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
from pathlib import PurePath


def _plain(value: object) -> object:
    # The commonest kinds first, by exact type (a national plan's keys hold a hundred thousand
    # values); anything else, subclasses included, goes through the checks below.
    kind = type(value)
    if kind is str or kind is int or value is None or kind is bool:
        return value
    if kind is tuple or kind is list:
        return [_plain(v) for v in value]  # type: ignore[attr-defined]
    if isinstance(value, float):
        return {"float": repr(value)}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, bytes):
        return {"bytes": hashlib.sha256(value).hexdigest()}
    if isinstance(value, dict):
        # Sorted by key alone: keys are short, values may be whole plans.
        items = sorted(((json.dumps(_plain(k)), k, v) for k, v in value.items()), key=lambda item: item[0])
        return {"dict": [[_plain(k), _plain(v)] for _, k, v in items]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((_plain(v) for v in value), key=json.dumps)}
    if isinstance(value, functools.partial):
        return {"partial": f"{value.func.__module__}.{value.func.__qualname__}",
                "args": _plain(value.args), "keywords": _plain(value.keywords)}
    if callable(value) and hasattr(value, "__qualname__"):
        return {"function": f"{value.__module__}.{value.__qualname__}"}
    if dataclasses.is_dataclass(value):
        return {kind.__name__: {name: _plain(getattr(value, name)) for name in _field_names(kind)}}
    if hasattr(value, "model_dump"):  # pydantic
        return {type(value).__name__: _plain(value.model_dump(mode="python"))}
    if isinstance(value, PurePath):
        return {"path": value.as_posix()}
    if isinstance(value, (dt.date, dt.datetime)):
        return {"date": value.isoformat()}
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__name__}.{value.name}"}
    return {type(value).__name__: str(value)}  # e.g. Period: its text is its identity


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """Return a dataclass's field names, in order (asked once per class, not per value)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def canonical_bytes(value: object) -> bytes:
    """Return a stable encoding of ``value`` (same value → same bytes in any process)."""
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest(*values: object) -> str:
    """Return the SHA-256 (hex) of the canonical encoding of ``values``."""
    return hashlib.sha256(canonical_bytes(values)).hexdigest()
