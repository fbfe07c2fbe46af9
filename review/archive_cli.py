"""``review archive …``: list, verify, finalize and rebuild archived revisions (issue 5)."""

from __future__ import annotations

import argparse


def add_archive_commands(commands, common: argparse.ArgumentParser) -> None:
    """Add the ``archive`` command and its subcommands to the CLI's subparsers."""
    archive = commands.add_parser("archive", parents=[common], help="list, verify, finalize and rebuild archived packs",
                                  description="The archive of built revisions under the output folder.")
    archive.add_argument("action", choices=("list",), help="what to do")


def run_archive(args: argparse.Namespace) -> int:
    """Run an archive subcommand."""
    from .errors import UsageError
    raise UsageError("archive: not available yet")
