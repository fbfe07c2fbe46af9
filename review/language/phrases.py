"""The editable phrase catalogue (``templates/phrases.yaml``): all fixed wording, in ar and en."""

from __future__ import annotations

import functools
from pathlib import Path

from review.errors import InputError, Problem, at_line
from review.model.layout import TEMPLATES_DIR
from review.intake.yamlfile import format_path, load_yaml

LANGS = ("ar", "en")


class Phrases:
    """Wording looked up by dotted key (``status.on_track``) in one language."""

    def __init__(self, entries: dict[str, dict[str, str]], lang: str):
        self.entries = entries
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        """Return the phrase for ``key`` in this language with ``{placeholders}`` filled.

        Raises KeyError for a key the catalogue lacks (a programming error, not user input).
        """
        text = self.entries[key][self.lang]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Return True when the catalogue holds ``key``."""
        return key in self.entries

    def with_lang(self, lang: str) -> "Phrases":
        """Return the same catalogue speaking ``lang``."""
        return Phrases(self.entries, lang)


def load_phrases(path: Path | None = None, lang: str = "ar") -> Phrases:
    """Return the phrase catalogue at ``path`` (default ``templates/phrases.yaml``) in ``lang``.

    Raises InputError when an entry lacks a language or is not text.
    """
    path = Path(path or TEMPLATES_DIR / "phrases.yaml")
    try:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = None
    return Phrases(_load_entries(path, version), lang)


@functools.lru_cache(maxsize=8)
def _load_entries(path: Path, version: tuple | None) -> dict[str, dict[str, str]]:
    """Return the catalogue's entries (read again only when the file's size or time changed)."""
    loaded = load_yaml(path)
    entries: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []

    def walk(node: object, trail: tuple) -> None:
        if isinstance(node, dict) and set(node) <= set(LANGS) and node:
            missing = [lang for lang in LANGS if not isinstance(node.get(lang), str)]
            if missing:
                problems.append(Problem(path, at_line(loaded.line_of(trail)), format_path(trail),
                                        f"expected text for {' and '.join(LANGS)}, missing {', '.join(missing)}"))
            else:
                entries[".".join(map(str, trail))] = node
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, trail + (key,))
        else:
            problems.append(Problem(path, at_line(loaded.line_of(trail)), format_path(trail),
                                    f"expected a mapping of ar/en texts, got {node!r}"))

    walk(loaded.data, ())
    if problems:
        raise InputError(problems)
    return entries
