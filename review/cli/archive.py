"""``review archive …``: list, verify, finalize, rebuild and extract archived revisions (issue 5).

PLAN is a plan folder (holding plan.yaml, whose ``id`` names the archive) or a plan id under the
output root. Exit codes: 0 success, 2 usage (unknown plan, period or revision, an ``--out`` that is
not a folder, ``verify`` of one that does not exist, ``finalize`` of a partial revision, ``extract``
into a folder that is not empty), 1 when ``verify`` finds a missing, changed or extra file (or
chunk) or a finalised revision gone or altered, ``rebuild`` finds differing bytes, ``finalize``
refuses a revision that does not verify or does not render again identically, or ``extract`` finds
a file that does not verify.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from review.cli.args import period_arg

EPILOG = """examples:
  review archive list
  review archive verify plans/services-1444 --period 1444-Q4
  review archive finalize plans/services-1444 --period 1444-Q4
  review archive rebuild plans/services-1444 --period 1444-Q4 --revision 2
  review archive extract plans/services-1444 --period 1444-Q4 --revision 2 r2-whole

layout: OUT/<plan-id>/<period>/r<N>/ holds one build's outputs, manifest.json and snapshot/
(its inputs); final/ holds the packs without the draft mark once finalised; index.json lists
the revisions; final.json records each finalised revision's hashes, so that verify finds one
deleted or altered later. A --sector build is partial: it cannot be finalised. verify, rebuild
and finalize exit 1 when they find a problem. A file identical to an earlier revision's is a hard
link to it (a copy where the file system cannot link); a pack's draft mark names the revision in
which its content last changed (pack_revisions in the manifest). The latest revision and every
finalised one hold every file whole; an earlier revision keeps whole what the latest shares with
it and the rest as recipes (recipes.json) of chunks in OUT/<plan-id>/<period>/.store/, or
borrowed from the files the latest keeps whole (.store/borrowed.json says where): extract
writes such a revision whole into a folder, for reading. See docs/archive.md."""


def add_archive_commands(commands, common: argparse.ArgumentParser) -> None:
    """Add the ``archive`` command and its subcommands to the CLI's subparsers."""
    archive = commands.add_parser(
        "archive", parents=[common], help="list, verify, finalize, rebuild and extract archived packs",
        description="The archive of built revisions under the output folder: every build of a "
                    "period is a revision r<N> with its outputs, a snapshot of its inputs and a "
                    "manifest of SHA-256 hashes.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = archive.add_subparsers(dest="action", metavar="ACTION", required=True)

    def add(name: str, help: str, description: str, plan: str, period: bool | None) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, parents=[common], help=help, description=description)
        if plan == "required":
            parser.add_argument("plan", metavar="PLAN", help="plan folder (with plan.yaml) or plan id")
        else:
            parser.add_argument("plan", metavar="PLAN", nargs="?",
                                help="plan folder (with plan.yaml) or plan id (default: every archived plan)")
        if period is not None:
            parser.add_argument("--period", type=period_arg, required=period, metavar="P",
                                help="period, e.g. 1444-Q4" + ("" if period else " (default: every period)"))
        parser.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                            help="output root (default: ./output)")
        return parser

    add("list", "list plans, periods and revisions (final, amendments, dates)",
        "List every archived revision: issue date, when it was built, which is final and when, "
        "and the amendments with their reasons.", "optional", False)
    add("verify", "re-hash every archived file; name missing, changed or extra ones",
        "Re-hash every file each revision's manifest lists, whole or by recipe (each chunk, in the "
        "period's .store/ or borrowed from a file kept whole, against its name, then the file "
        "against the manifest), and report "
        "missing, changed and extra files and chunks and damaged manifests, in every revision "
        "they concern; exit 1 when anything is found. Each period is verified under its lock: "
        "a running build of it is waited for, as a second build waits.", "optional", False)
    finalize = add("finalize", "mark the revision presented at the workshop as final (read-only)",
                   "Write the files an earlier revision keeps as recipes whole again, re-render the "
                   "revision's packs from its own snapshot without the draft mark into "
                   "r<N>/final/ (with the issue date and SOURCE_DATE_EPOCH its build used; their "
                   "contents get page numbers where LibreOffice and poppler's pdfinfo are installed), record "
                   "their hashes in its manifest and the manifest's in final.json, and make the "
                   "revision read-only. A partial (--sector) revision cannot be finalised. A later "
                   "build of the period needs --reason and is recorded as an amendment.",
                   "required", True)
    finalize.add_argument("--revision", type=int, metavar="N", help="revision to finalise (default: the latest)")
    rebuild = add("rebuild", "regenerate a revision from its snapshot and confirm identical bytes",
                  "Render the revision again from its snapshot/ with its recorded options and issue "
                  "date and compare every output (and final pack) byte for byte; PDFs are not "
                  "compared. Exit 1 naming the files that differ.", "required", True)
    rebuild.add_argument("--revision", type=int, metavar="N", help="revision to rebuild (default: the latest)")
    extract = add("extract", "write a revision's files whole into a folder, for reading",
                  "Write every file of the revision (outputs, snapshot/, final/, manifest.json) whole "
                  "into DIR, a new or empty folder, each checked against its manifest: an earlier "
                  "revision keeps some files as recipes of chunks in the period's .store/. Nothing "
                  "is written when a file does not verify (exit 1).", "required", True)
    extract.add_argument("--revision", type=int, metavar="N", help="revision to extract (default: the latest)")
    extract.add_argument("target", metavar="DIR", type=Path,
                         help="folder to write into (new or empty, outside the output root)")


def _plan_id(text: str, out_root: Path) -> str:
    """Return the plan id named by PLAN: a plan folder's ``id`` or an archived plan's id."""
    from review.errors import UsageError
    from review.intake.yamlfile import load_yaml
    from review.intake.plan import PLAN_FILE
    path = Path(text)
    if (path / PLAN_FILE).is_file():
        plan_id = None
        try:
            data = load_yaml(path / PLAN_FILE).data
            plan_id = data.get("id") if isinstance(data, dict) else None
        except Exception:  # the plan may be broken today; its archive is still there
            pass
        if isinstance(plan_id, str) and plan_id:
            return plan_id
        raise UsageError(f"{path / PLAN_FILE}: cannot read the plan's id; give the plan id instead")
    # Hidden folders of the output root (the build cache, .cache) are not plans.
    if (out_root / text).is_dir() and "/" not in text and "\\" not in text and not text.startswith("."):
        return text
    archived = sorted(p.name for p in out_root.iterdir()
                      if p.is_dir() and not p.name.startswith(".")) if out_root.is_dir() else []
    raise UsageError(f"{text!r}: neither a plan folder (with {PLAN_FILE}) nor an archived plan in "
                     f"{out_root} (archived plans: {', '.join(archived) or 'none'})")


def _check_out(args: argparse.Namespace) -> None:
    """Raise UsageError when ``--out`` is not a folder (for ``verify``: also when it does not exist,
    since verifying nothing must not pass for an intact archive)."""
    from review.archive import revisions as archive
    archive.check_out_root(args.out, must_exist=args.action == "verify")


def _folder(args: argparse.Namespace, plan_id: str) -> Path:
    from review.archive import revisions as archive
    from review.errors import UsageError
    folder = archive.period_folder(args.out, plan_id, args.period)
    if not archive.revision_numbers(folder):
        raise UsageError(f"{plan_id} {args.period}: no archived revisions in {folder} "
                         "(build the period first, or check --out)")
    return folder


def _progress(args: argparse.Namespace):
    def report(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)
    return report


def run_list(args: argparse.Namespace) -> int:
    """Print every archived revision, grouped by plan and period."""
    from review.archive import revisions as archive
    plan_id = _plan_id(args.plan, args.out) if args.plan else None
    periods = archive.archived_periods(args.out, plan_id)
    if not periods:
        print(f"No archived revisions under {args.out}")
        return 0
    current_plan = None
    for plan, period, folder in periods:
        if plan != current_plan:
            print(plan)
            current_plan = plan
        index = archive.period_index(folder, plan, period)
        latest_full = index["latest_full"]
        latest = f"r{index['latest']}" if index["latest"] else "none present"
        print(f"  {period}  ({len(index['revisions'])} revision(s); latest {latest}"
              + (f", latest full r{latest_full}" if latest_full not in (None, index["latest"]) else "")
              + (f", final r{index['final']})" if index["final"] else ", none final)"))
        for entry in index["revisions"]:
            if entry.get("missing"):
                print(f"    {entry['folder']:<4} MISSING: finalised on {entry['finalized_at']}, its folder is gone "
                      "(run review archive verify)")
                continue
            if entry.get("manifest") == "unreadable":
                print(f"    {entry['folder']:<4} manifest missing or unreadable (run review archive verify)")
                continue
            parts = [f"issued {entry['issue_date']}", f"built {entry['built_at'] or '?'}"]
            if entry["sectors"]:
                parts.append("partial: sectors " + ", ".join(entry["sectors"]))
            if entry["pdf"]:
                parts.append("with PDF/A")
            kept = _kept_packs(folder / entry["folder"], entry["revision"])
            if kept:
                parts.append(kept)
            if entry["final"]:
                parts.append(f"FINAL since {entry['finalized_at']}")
            if entry["amends"]:
                parts.append(f"amends r{entry['amends']}: {entry['reason']!r}")
            elif entry["reason"]:
                parts.append(f"reason: {entry['reason']!r}")
            print(f"    {entry['folder']:<4} " + "  ".join(parts))
    return 0


def _kept_packs(revision: Path, number: int) -> str | None:
    """Return how many of a revision's packs are unchanged since an earlier revision (their draft
    mark names it, ``pack_revisions`` of the manifest), e.g. "11 of 13 packs unchanged since r1";
    None when none is, or the manifest is unreadable (``verify`` says so)."""
    from review.archive import revisions as archive
    try:
        marks = archive.read_manifest(revision).get("pack_revisions")
    except archive.ArchiveProblem:
        return None
    if not isinstance(marks, dict):
        return None
    earlier = sorted({k for k in marks.values() if isinstance(k, int) and not isinstance(k, bool) and 0 < k != number})
    if not earlier:
        return None
    count = sum(1 for k in marks.values() if k in earlier)
    return f"{count} of {len(marks)} packs unchanged since " + ", ".join(f"r{k}" for k in earlier)


def run_verify(args: argparse.Namespace) -> int:
    """Re-hash every archived file; print each finding; exit 1 when there is any."""
    from review.archive import revisions as archive
    from review.errors import display_path
    plan_id = _plan_id(args.plan, args.out) if args.plan else None
    periods = [p for p in archive.archived_periods(args.out, plan_id)
               if args.period is None or p[1] == str(args.period)]
    if args.period is not None and plan_id and not periods:
        _folder(args, plan_id)  # raises the "no archived revisions" message
    if not periods:
        print(f"No archived revisions under {display_path(args.out.resolve())}"
              + (f" for {args.period}" if args.period else ""))
        return 0
    findings, revisions = [], 0
    for plan, period, folder in periods:
        with archive.reading(folder, plan, period):  # one period at a time, as a build locks it
            found = archive.verify_period(folder, plan)
        revisions += len(archive.revision_numbers(folder))
        findings += found
        if not args.quiet:
            print(f"{plan} {period}: " + (f"{len(found)} problem(s)" if found else "ok"), file=sys.stderr)
    for finding in findings:
        print(finding)
    where = display_path(args.out.resolve())
    if findings:
        print(f"Stopped: {len(findings)} problem(s) in {revisions} revision(s) under {where}.")
        return 1
    print(f"Verified {revisions} revision(s) in {len(periods)} period(s) under {where}: every file matches its manifest.")
    return 0


def run_finalize(args: argparse.Namespace) -> int:
    """Finalise a revision."""
    from review.archive import revisions as archive
    from review.pipeline.build import live_differences, render_snapshot, source_date_epoch
    from review.office.pdf import convert_packs, find_pdfinfo, find_soffice
    plan_id = _plan_id(args.plan, args.out)
    folder = _folder(args, plan_id)
    progress = _progress(args)
    # Like a build's, the time recorded is SOURCE_DATE_EPOCH's when set, so a finalize reproduces.
    finalized_at = archive.utc_now(source_date_epoch())
    # The final packs' contents get page numbers where LibreOffice (and poppler) can lay them out;
    # without them the final packs list their headings as links, like the drafts.
    paged = find_soffice() is not None and find_pdfinfo() is not None
    if not paged:
        print("note: LibreOffice or poppler's pdfinfo is not on PATH: the final packs' contents will "
              "have no page numbers", file=sys.stderr)
    number, newly = archive.finalize(
        folder, plan_id, args.period, args.revision,
        render=lambda revision, manifest, mark: render_snapshot(revision, manifest, mark,
                                                                paged=paged and mark is None),
        convert_pdf=convert_packs, progress=progress, notes=live_differences, finalized_at=finalized_at,
        paged=paged)
    revision = folder / archive.revision_name(number)
    manifest = archive.read_manifest(revision)
    if not newly:
        print(f"{plan_id} {args.period} r{number} is already final (since {manifest['final']['finalized_at']}): {revision}")
        return 0
    count = len(manifest["final"]["outputs"])
    print(f"Finalised {plan_id} {args.period} r{number}: {count} final pack file(s) in "
          f"{revision / archive.FINAL_DIR}; the revision is now read-only")
    return 0


def run_rebuild(args: argparse.Namespace) -> int:
    """Render a revision again from its snapshot and compare byte for byte."""
    from review.archive import revisions as archive
    plan_id = _plan_id(args.plan, args.out)
    folder = _folder(args, plan_id)
    with archive.reading(folder, plan_id, args.period):  # no build converts it meanwhile
        return _rebuild(args, plan_id, folder)


def _rebuild(args: argparse.Namespace, plan_id: str, folder: Path) -> int:
    from review.archive import revisions as archive
    from review.pipeline.build import live_differences, render_snapshot
    number = archive.resolve_revision(folder, args.revision)
    revision = folder / archive.revision_name(number)
    manifest = archive.read_manifest(revision)
    notes = live_differences(manifest)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    progress = _progress(args)
    # Final packs laid out by LibreOffice (page numbers in their contents) are laid out again.
    paged = bool((manifest.get("final") or {}).get("contents_pages"))
    if paged:
        from review.office.pdf import require_pdfinfo, require_soffice
        require_soffice()
        require_pdfinfo()
    progress(f"Rendering r{number} again from {revision / archive.SNAPSHOT}")
    with archive.whole_revision(revision) as whole:  # a temporary copy when it holds recipes
        differing, compared = archive.rebuild_differences(
            whole, manifest, lambda rev, man, mark: render_snapshot(rev, man, mark, progress,
                                                                    paged=paged and mark is None))
    if differing:
        for name in differing:
            print(f"{revision / name}: differs from the rebuild")
        print(f"Stopped: {len(differing)} of {len(compared)} file(s) of r{number} differ when rebuilt "
              "from its snapshot" + (" (see the notes above)" if notes else "") + ".")
        return 1
    print(f"{plan_id} {args.period} r{number}: rebuilt from its snapshot; all {len(compared)} file(s) "
          "identical" + (" (PDFs not compared)" if manifest.get("options", {}).get("pdf") else ""))
    return 0


def run_extract(args: argparse.Namespace) -> int:
    """Write a revision's files whole into a folder."""
    from review.archive import revisions as archive
    plan_id = _plan_id(args.plan, args.out)
    folder = _folder(args, plan_id)
    with archive.reading(folder, plan_id, args.period):
        number, count = archive.extract(folder, args.revision, args.target)
    print(f"Extracted {plan_id} {args.period} r{number}: {count} file(s), each checked against its "
          f"manifest, into {args.target}")
    return 0


def run_archive(args: argparse.Namespace) -> int:
    """Run an archive subcommand and return its exit code."""
    handlers = {"list": run_list, "verify": run_verify, "finalize": run_finalize, "rebuild": run_rebuild,
                "extract": run_extract}
    _check_out(args)
    return handlers[args.action](args)
