"""The ``review`` command line: arguments, progress and exit codes — no business rules.

Exit 0 on success, 2 on invalid input or usage (every problem listed), 1 on an internal error
(one line, and the traceback with ``--verbose``); 141 (128 + SIGPIPE, what a shell reports for a
program a closed pipe stopped) when the reader of the output went away, e.g. ``| head -1``: the
command stops quietly, as ``cat`` or ``grep`` would, with no message and no traceback.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import textwrap
import traceback
from pathlib import Path

from review import __version__
from review.errors import InputError, ReviewError, format_problems
from review.cli.args import date_arg, period_arg, utc_time_arg

EPILOG = """examples:
  review validate plans/services-1444
  review build plans/services-1444 --period 1444-Q4
  review build plans/diversification-2024 --period 2025-Q2 --sector tourism --lang en
  review receive plans/services-1444 --period 1444-Q4 MWE.xlsx --reply replies/
  review status plans/services-1444 --period 1444-Q4 --reminders reminders/
  review export plans/services-1444 --out history.xlsx

exit codes: 0 success, 2 invalid input or usage (every problem listed), 1 internal error,
  141 output closed by its reader (e.g. piped into head: the command stops quietly)"""


#: Exit code when stdout or stderr was closed by its reader (128 + SIGPIPE).
EXIT_CLOSED_OUTPUT = 141


def _plan_dir(text: str) -> Path:
    return Path(text)


def _ensure_utf8_output() -> None:
    # Windows consoles default to a legacy code page that cannot print Arabic.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every ``review`` command."""
    from review.archive.cache import CACHE_MB_DEFAULT
    parser = argparse.ArgumentParser(
        prog="review",
        description="Quarterly review briefing packs: Arabic, right-to-left Word documents with "
                    "charts, challenges and recommendations, one per sector, from a plan (YAML) "
                    "and each quarter's figures (CSV/Excel).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"review {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of internal errors")
    common.add_argument("-q", "--quiet", action="store_true", help="print only problems and results, no progress")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate", parents=[common], help="check a plan and its quarterly data; show data completeness per entity",
        description="Check plans/<plan>/plan.yaml and every data/<period>/ file, list every "
                    "problem with file, line or row, field, what was found and what is expected, "
                    "and show which entities have not (fully) submitted for the period.")
    validate.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    validate.add_argument("--period", type=period_arg, metavar="P",
                          help="period whose completeness to show, e.g. 1444-Q2 (default: the latest with data)")

    build = commands.add_parser(
        "build", parents=[common], help="build one period's briefing packs and results as a new archived revision",
        description=textwrap.fill(
            "Evaluate the plan for one period and write a new revision OUT/<plan-id>/<period>/r<N>/: "
            "one Word briefing pack per sector, executive.docx, charts/, results.json, results.xlsx, "
            "deck.pptx (the workshop slides), "
            "manifest.json and a snapshot of the inputs. With unchanged inputs nothing is built. "
            "Nothing is written when the input is invalid, and earlier revisions are never touched.",
            79, break_on_hyphens=False),
        epilog="environment:\n"
               "  SOURCE_DATE_EPOCH  default issue date and zip timestamps (seconds since 1970, UTC)\n"
               "  REVIEW_WORKERS     worker processes for charts and packs (default: one per core\n"
               "                     that no other work keeps busy when the build starts;\n"
               "                     1 builds in this process alone)\n"
               "  REVIEW_PLAIN_CHARTS=1  draw charts with stock matplotlib only (slower)\n"
               f"  REVIEW_CACHE_MB    size cap of OUT/.cache/ in megabytes (default {CACHE_MB_DEFAULT})\n\n"
               "OUT/.cache/ keeps parsed inputs, charts, packs and the shaping of chart text by\n"
               "content hash, so that a rebuild after one figure changed redoes only what shows it;\n"
               "after each build the least recently used entries go until it is under the cap.\n"
               "Deleting it only costs time (`review cache stats|clear`).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    build.add_argument("--period", type=period_arg, required=True, metavar="P", help="period to build, e.g. 1444-Q4")
    build.add_argument("--sector", action="append", default=[], metavar="ID",
                       help="build the pack of this sector only (repeatable; default: every sector)")
    build.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                       help="output root (default: ./output)")
    build.add_argument("--lang", choices=("ar", "en"), help="language of the outputs (default: the plan's)")
    build.add_argument("--issue-date", type=date_arg, metavar="YYYY-MM-DD",
                       help="issue date printed on the packs (default: SOURCE_DATE_EPOCH's day, else today)")
    build.add_argument("--template", type=Path, metavar="FILE.docx",
                       help="Word template (letterhead) to use instead of templates/briefing.docx")
    build.add_argument("--reason", metavar="TEXT",
                       help="why a finalised period is built again (required then; recorded as an amendment)")
    build.add_argument("--pdf", action="store_true",
                       help="also write a PDF/A copy of every pack, its contents with page numbers "
                            "(needs LibreOffice and poppler)")
    build.add_argument("--no-dashboard", dest="dashboard", action="store_false",
                       help="write no dashboard.html (neither the revision's nor OUT/<plan-id>/dashboard.html, "
                            "the page across the quarters)")
    build.add_argument("--no-deck", dest="deck", action="store_false",
                       help="do not write the workshop deck (deck.pptx; its master: templates/deck.pptx when present)")
    forms = commands.add_parser(
        "forms", parents=[common], help="write each entity's data-collection form (.xlsx) for a period",
        description="Write one Excel form per entity into OUT/<plan-id>/<period>/forms/, pre-filled "
                    "with its indicators and projects; a filled form dropped into "
                    "plans/<plan>/data/<period>/ is read as is.")
    forms.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    forms.add_argument("--period", type=period_arg, required=True, metavar="P", help="period the forms ask for")
    forms.add_argument("--entity", action="append", default=[], metavar="ID",
                       help="write the form of this entity only (repeatable; default: every entity)")
    forms.add_argument("--deadline", type=date_arg, metavar="YYYY-MM-DD",
                       help="submission deadline (Gregorian) printed on the forms and recorded with the period "
                            "in data/<period>/deadline.txt for timeliness (default: the plan's 'deadlines', "
                            "else the one recorded)")
    forms.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output root (default: ./output)")

    receive = commands.add_parser(
        "receive", parents=[common], help="check returned forms or data files at once, file them and log when they came",
        description="Check each FILE alone against the plan (the checks of 'validate'), then: a valid "
                    "file is filed into PLAN_DIR/data/<period>/ under its canonical name (form-<entity>.xlsx, "
                    "<kind>-<entity>.csv…), the file it replaces kept in superseded/; an invalid one is "
                    "not filed and its problems are listed. Every file gets a line in "
                    "data/<period>/receipts.csv (time received in UTC, entity, file, SHA-256, rows read, "
                    "accepted or refused). Exit 2 when a file was refused.")
    receive.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    receive.add_argument("--period", type=period_arg, required=True, metavar="P", help="period the files report, e.g. 1444-Q4")
    receive.add_argument("files", type=Path, nargs="+", metavar="FILE", help="returned form (.xlsx) or data file (.csv/.xlsx)")
    receive.add_argument("--reply", type=Path, metavar="DIR",
                         help="also write a short reply (.docx, Arabic) per file into DIR: accepted, or its problems")
    receive.add_argument("--received-at", type=utc_time_arg, metavar="YYYY-MM-DDTHH:MM",
                         help="when the files came, in UTC, if before now (e.g. the e-mail's time; default: now); "
                              "the log records it and the time they were filed")

    status = commands.add_parser(
        "status", parents=[common], help="show which entities have submitted their data for a period, on time or late; remind them",
        description="Per entity: focal point, indicators and projects expected and received, "
                    "challenges reported, and the files they came from; entities that sent "
                    "nothing are listed first. When the period has a deadline (the plan's "
                    "'deadlines', or 'review forms --deadline') or a receipt log ('review receive'), "
                    "each entity's timeliness too: received on time, N days late, not received.")
    status.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    status.add_argument("--period", type=period_arg, required=True, metavar="P", help="period to check")
    status.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help="also write the table as an Excel file")
    status.add_argument("--reminders", type=Path, metavar="DIR",
                        help="also write a reminder letter (.docx, Arabic) to the focal point of every entity "
                             "that is late or incomplete, listing what is missing and the deadline; nothing is sent")

    export = commands.add_parser(
        "export", parents=[common], help="write the evaluated history of every period as one table (CSV or Excel)",
        description="Evaluate every period with data and write one row per indicator and period: plan, "
                    "period, sector, objective, indicator, name, entity, unit, direction, target, actual, "
                    "achievement, score, status, trend (the values of each period's results.json). "
                    "FILE.xlsx also holds a projects sheet. For Python, see review.api (docs/python-api.md).")
    export.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    export.add_argument("--out", type=Path, metavar="FILE.csv|FILE.xlsx",
                        help="file to write (default: the CSV on standard output)")

    recommendations = commands.add_parser(
        "recommendations", parents=[common], help="print the register of adopted recommendations and write recommendations.xlsx",
        description="Read recommendations.* of every period up to P, apply later status updates by id, "
                    "flag overdue ones, print the register and write OUT/<plan-id>/<period>/recommendations.xlsx.")
    recommendations.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    recommendations.add_argument("--period", type=period_arg, required=True, metavar="P", help="period of the register")
    recommendations.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output root (default: ./output)")

    from review.cli.archive import add_archive_commands
    add_archive_commands(commands, common)
    from review.cli.cache import add_cache_command
    add_cache_command(commands, common)
    return parser


def _progress(quiet: bool):
    def report(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)
    return report


def run_validate(args: argparse.Namespace) -> int:
    """Validate a plan and its data; print problems and the completeness table."""
    from review.pipeline.validate import validate
    report = validate(args.plan_dir, args.period)
    print(report)
    return 0


def run_build(args: argparse.Namespace) -> int:
    """Build one period's outputs."""
    from review.pipeline.build import BuildOptions, build_revision
    folder, built = build_revision(BuildOptions(args.plan_dir, args.period, args.out, args.sector, args.lang,
                                args.issue_date, args.template, args.reason, args.pdf, args.argv,
                                dashboard=args.dashboard, deck=args.deck),
                   _progress(args.quiet))
    print(f"Built {folder}" if built else f"Up to date: {folder}")
    return 0


def run_forms(args: argparse.Namespace) -> int:
    """Write the data-collection forms."""
    from review.secretariat.forms import write_forms
    paths = write_forms(args.plan_dir, args.period, args.entity, args.out, args.deadline,
                        _progress(args.quiet))
    print(f"Wrote {len(paths)} form(s) to {paths[0].parent if paths else args.out}")
    return 0


def run_receive(args: argparse.Namespace) -> int:
    """Receive returned files: 0 when every file was accepted, 2 when one was refused."""
    from review.secretariat.receive import receive
    report, accepted = receive(args.plan_dir, args.period, args.files, args.reply, received_at=args.received_at)
    print(report)
    return 0 if accepted else 2


def run_status(args: argparse.Namespace) -> int:
    """Show the submission status of a period."""
    from review.secretariat.status import submission_report
    print(submission_report(args.plan_dir, args.period, args.xlsx, args.reminders))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the history export to --out, or the CSV to standard output."""
    from review.pipeline.export import check_out, export_bytes
    from review.archive.revisions import replace_file
    check_out(args.out)
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(export_bytes(args.plan_dir, ".csv"))
        sys.stdout.buffer.flush()
        return 0
    replace_file(args.out, export_bytes(args.plan_dir, args.out.suffix))
    if not args.quiet:
        print(f"Wrote {args.out}")
    return 0


def run_recommendations(args: argparse.Namespace) -> int:
    """Print the recommendations register and write recommendations.xlsx."""
    from review.secretariat.recommendations import recommendations_report
    print(recommendations_report(args.plan_dir, args.period, args.out, _progress(args.quiet)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    _ensure_utf8_output()
    # numpy (under matplotlib and openpyxl) does no linear algebra here, yet OpenBLAS would start
    # a thread that spins for a while in every process that imports it: about 0.1 s of CPU each.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = make_parser()
    try:
        try:
            args = parser.parse_args(argv)
        finally:
            sys.stdout.flush()  # --help and --version print, then argparse exits
        args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in the archive's manifest
        code = _run(args)
        # Printed text waits in a buffer: flushing it here, not at exit, lets a reader that has
        # gone away (``| head``) be seen below instead of as an "Exception ignored" at shutdown.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _drop_closed_output()
        return EXIT_CLOSED_OUTPUT


def _drop_closed_output() -> None:
    """Point stdout and stderr at the null device: the reader is gone and the interpreter flushes
    both on exit, which would raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured stream)
            pass
    os.close(devnull)


def _output_closed() -> bool:
    """Return True when the reader of stdout or stderr has gone away (a pipe with no reader)."""
    if not hasattr(select, "poll"):  # Windows: no way to ask; a broken pipe there is the output's
        return True
    for stream in (sys.stdout, sys.stderr):
        try:
            poller = select.poll()
            poller.register(stream.fileno(), select.POLLOUT)
        except (OSError, ValueError):  # no file descriptor (a test's captured stream)
            continue
        if any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
            return True
    return False


def _run(args: argparse.Namespace) -> int:
    """Run the command of ``args`` and return its exit code, reporting a failure on stderr."""
    from review.cli.archive import run_archive
    from review.cli.cache import run_cache
    handlers = {"validate": run_validate, "build": run_build, "forms": run_forms, "receive": run_receive,
                "status": run_status, "export": run_export, "recommendations": run_recommendations,
                "archive": run_archive, "cache": run_cache}
    try:
        return handlers[args.command](args)
    except InputError as exc:
        print(format_problems(exc.problems), file=sys.stderr)
        return 2
    except ReviewError as exc:
        print(f"review: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("review: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line unless --verbose
        if isinstance(exc, BrokenPipeError) and _output_closed():
            raise  # our reader went away; a worker's broken pipe is an internal error
        if args.verbose:
            traceback.print_exc()
        print(f"review: internal error: {type(exc).__name__}: {exc} (rerun with --verbose for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
