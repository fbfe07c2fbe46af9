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
from review.cli.args import date_arg, period_arg

EPILOG = """examples:
  review validate plans/services-1444
  review build plans/services-1444 --period 1444-Q4
  review build plans/diversification-2024 --period 2025-Q2 --sector tourism --lang en

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
            "manifest.json and a snapshot of the inputs. With unchanged inputs nothing is built. "
            "Nothing is written when the input is invalid, and earlier revisions are never touched.",
            79, break_on_hyphens=False),
        epilog="environment:\n"
               "  SOURCE_DATE_EPOCH  default issue date and zip timestamps (seconds since 1970, UTC)\n"
               "  REVIEW_WORKERS     worker processes for charts and packs (default: one per core;\n"
               "                     1 builds in this process alone)\n"
               "  REVIEW_PLAIN_CHARTS=1  draw charts with stock matplotlib only (slower)\n\n"
               "OUT/.cache/ keeps parsed inputs, charts, packs and the shaping of chart text by\n"
               "content hash, so that a rebuild after one figure changed redoes only what shows it;\n"
               "deleting it only costs time.",
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
    forms = commands.add_parser(
        "forms", parents=[common], help="write each entity's data-collection form (.xlsx) for a period",
        description="Write one Excel form per entity into OUT/<plan-id>/<period>/forms/, pre-filled "
                    "with its indicators and projects; a filled form dropped into "
                    "plans/<plan>/data/<period>/ is read as is.")
    forms.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    forms.add_argument("--period", type=period_arg, required=True, metavar="P", help="period the forms ask for")
    forms.add_argument("--entity", action="append", default=[], metavar="ID",
                       help="write the form of this entity only (repeatable; default: every entity)")
    forms.add_argument("--deadline", type=date_arg, metavar="YYYY-MM-DD", help="submission deadline printed on the forms")
    forms.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output root (default: ./output)")

    status = commands.add_parser(
        "status", parents=[common], help="show which entities have submitted their data for a period",
        description="Per entity: focal point, indicators and projects expected and received, "
                    "challenges reported, and the files they came from; entities that sent "
                    "nothing are listed first.")
    status.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    status.add_argument("--period", type=period_arg, required=True, metavar="P", help="period to check")
    status.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help="also write the table as an Excel file")

    recommendations = commands.add_parser(
        "recommendations", parents=[common], help="print the register of adopted recommendations and write recommendations.xlsx",
        description="Read recommendations.* of every period up to P, apply later status updates by id, "
                    "flag overdue ones, print the register and write OUT/<plan-id>/<period>/recommendations.xlsx.")
    recommendations.add_argument("plan_dir", type=_plan_dir, metavar="PLAN_DIR", help="folder holding plan.yaml and data/")
    recommendations.add_argument("--period", type=period_arg, required=True, metavar="P", help="period of the register")
    recommendations.add_argument("--out", type=Path, default=Path("output"), metavar="DIR", help="output root (default: ./output)")

    from review.cli.archive import add_archive_commands
    add_archive_commands(commands, common)
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
                                args.issue_date, args.template, args.reason, args.pdf, args.argv),
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


def run_status(args: argparse.Namespace) -> int:
    """Show the submission status of a period."""
    from review.secretariat.status import submission_report
    print(submission_report(args.plan_dir, args.period, args.xlsx))
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
    handlers = {"validate": run_validate, "build": run_build, "forms": run_forms, "status": run_status,
                "recommendations": run_recommendations, "archive": run_archive}
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
