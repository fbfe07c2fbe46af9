"""``review cache stats|clear``: the build cache below the output root (``OUT/.cache/``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from review.archive.cache import CACHE, CACHE_MB_DEFAULT, cache_limit, clear, stats

MB = 1024 * 1024


def add_cache_command(commands, common: argparse.ArgumentParser) -> None:
    """Add the ``cache`` command and its two actions to the CLI's subparsers."""
    cache = commands.add_parser(
        "cache", parents=[common], help="show or empty the build cache (OUT/.cache/)",
        description="The build cache keeps parsed inputs, charts, packs and the shaping of chart text "
                    "by content hash, so that a rebuild redoes only what changed. It is bounded: after "
                    "each build the least recently used entries go until it holds at most "
                    f"REVIEW_CACHE_MB megabytes (default {CACHE_MB_DEFAULT}). Deleting it only costs time; "
                    "the archive never depends on it.")
    actions = cache.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help in (("stats", "entries and megabytes per kind, against the cap"),
                       ("clear", "remove every entry (the next build draws everything again)")):
        action = actions.add_parser(name, parents=[common], help=help, description=help[0].upper() + help[1:] + ".")
        action.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                            help="output root (default: ./output)")


def run_cache(args: argparse.Namespace) -> int:
    folder = Path(args.out) / CACHE
    if args.action == "clear":
        removed, freed = clear(folder)
        print(f"{folder}: removed {_entries(removed)} ({freed / MB:.1f} MB)")
        return 0
    limit = cache_limit()
    totals = stats(folder)
    for kind, (count, size) in totals.items():
        print(f"{kind:<16} {_entries(count):>15} {size / MB:>9.1f} MB")
    count = sum(count for count, _ in totals.values())
    size = sum(size for _, size in totals.values())
    print(f"{'total':<16} {_entries(count):>15} {size / MB:>9.1f} MB of {limit / MB:,.0f} MB (REVIEW_CACHE_MB) in {folder}")
    return 0


def _entries(count: int) -> str:
    return f"{count:,} {'entry' if count == 1 else 'entries'}"
