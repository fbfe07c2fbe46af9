"""The build pipeline: load → validate → read data → evaluate → (charts → compose) → write → archive.

Each stage takes and returns plain values, so each runs alone in a test; this module only wires
them and reports progress.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from review.archive import revisions as archive
from review.errors import InputError, Problem, UsageError, WHOLE_FILE, quoted
from review.model.layout import (DATA_DIR, DECK_TEMPLATE, DEFAULT_TEMPLATE, PERIOD_RECORDS, PLAN_FILE,
                                 TEMPLATE_FILES, TEMPLATES_DIR)
from review.model.periods import Period, check_year
from review.pause import pause_at

if TYPE_CHECKING:  # the heavy stages are imported where they run, so "up to date" answers fast
    from review.model.data import DataSet
    from review.model.plan import Plan

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


#: The reproducible-builds variable: the time a build stands for, in seconds since 1970 (UTC).
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def source_date_epoch() -> int | None:
    """Return ``SOURCE_DATE_EPOCH`` as whole seconds since 1970, or None when unset or empty.

    It stamps the zip entries of every pack and workbook, and is the build's time in its manifest.
    Raises UsageError when it is not a whole number of seconds between 1970 and 9999.
    """
    raw = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if not raw:
        return None
    try:
        epoch = int(raw)
        if epoch < 0:
            raise ValueError(epoch)
        dt.datetime.fromtimestamp(epoch, dt.timezone.utc)  # beyond the year 9999: OverflowError
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"{SOURCE_DATE_EPOCH}: expected whole seconds since 1970-01-01 (UTC), "
                         f"got {quoted(raw)}") from None
    return epoch


def resolve_issue_date(given: dt.date | None) -> dt.date:
    """Return the pack's issue date: the one given, else ``SOURCE_DATE_EPOCH``'s day (UTC), else today."""
    if given is not None:
        return given
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date()
    return dt.date.today()


@contextlib.contextmanager
def recorded_epoch(manifest: dict) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` as the build of ``manifest`` had it (unset when it was) while the
    block runs, so that its zip timestamps come out the same whatever the environment says now.

    A manifest from before the variable was recorded leaves the environment as it is.
    """
    if "source_date_epoch" not in manifest:
        yield
        return
    recorded, saved = manifest["source_date_epoch"], os.environ.get(SOURCE_DATE_EPOCH)
    if recorded is None:
        os.environ.pop(SOURCE_DATE_EPOCH, None)
    else:
        os.environ[SOURCE_DATE_EPOCH] = str(int(recorded))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(SOURCE_DATE_EPOCH, None)
        else:
            os.environ[SOURCE_DATE_EPOCH] = saved


def recorded_command(argv: list[str]) -> list[str]:
    """Return the command line to record in a manifest: ``review`` and ``argv`` without the
    output folder (``--out DIR``, ``--out=DIR`` or an abbreviation of ``--out``).

    The manifest lies in that folder already; naming it would make two builds of the same inputs
    into two folders differ, which is what their manifests are there to prove they do not.
    """
    kept: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--":
            kept += [argument, *arguments]
            break
        option = argument.split("=", 1)[0]
        if len(option) >= 3 and "--out".startswith(option):
            if "=" not in argument:
                next(arguments, None)
            continue
        kept.append(argument)
    return ["review", *kept]


@dataclass
class BuildOptions:
    """What ``review build`` was asked to do."""

    plan_dir: Path
    period: Period
    #: None only when re-rendering an archived snapshot: no caches, and nothing is archived.
    out_root: Path | None = Path("output")
    sectors: list[str] = field(default_factory=list)
    lang: str | None = None
    issue_date: dt.date | None = None
    template: Path | None = None
    reason: str | None = None
    pdf: bool = False
    command: list[str] = field(default_factory=list)
    #: Write dashboard.html in the revision and the plan's page across the quarters (--no-dashboard: not).
    dashboard: bool = True
    #: Write the workshop deck (``deck.pptx``); ``--no-deck`` skips it.
    deck: bool = True


@dataclass
class Loaded:
    """A validated plan with every period's data."""

    plan: Plan
    data: DataSet


def load(plan_dir: Path, cache: Path | None = None, contents: dict[Path, bytes] | None = None) -> Loaded:
    """Return the validated plan of ``plan_dir`` and all its periods' data (raises InputError).

    ``cache`` (``<output root>/.cache``) keeps the plan and each period folder as read, by content:
    a rebuild reads again only what changed; ``contents`` (:func:`read_inputs`) spares reading the
    files again to find out. When the plan is invalid, the data files are still read as files
    (what needs no plan) and their problems listed with the plan's.
    """
    import functools
    import hashlib

    from review.archive.cache import INTAKE, remembered
    from review.intake.data import read_data
    from review.intake.plan import load_plan
    from review.intake.readers import data_files, data_folders, read_file
    plan_file = Path(plan_dir) / PLAN_FILE
    try:
        if cache is not None and plan_file.is_file():
            known = (contents or {}).get(plan_file)
            key = ("plan", hashlib.sha256(plan_file.read_bytes() if known is None else known).hexdigest())
            plan = remembered(cache, INTAKE, key, lambda: load_plan(plan_dir))
        else:
            plan = load_plan(plan_dir)
    except InputError as invalid:
        found = [problem for _, folder in data_folders(plan_dir) for path in data_files(folder)
                 for problem in read_file(path)[1]]
        raise InputError(invalid.problems + found) from None
    remember = None if cache is None else functools.partial(remembered, cache, INTAKE)
    return Loaded(plan, read_data(plan, plan_dir, remember, contents))


def check_period(loaded: Loaded, period: Period, plan_dir: Path) -> None:
    """Raise InputError unless ``period`` is valid in the plan's calendar and has a data folder."""
    try:
        check_year(period.year, loaded.plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {loaded.plan.calendar})")
    if period not in loaded.data.periods:
        known = ", ".join(map(str, loaded.data.periods)) or "none"
        raise InputError([Problem(Path(plan_dir) / "data" / str(period), WHOLE_FILE, "",
                                  f"no data folder for {period} (periods with data: {known})")])


def check_template(template: Path | None) -> Path | None:
    """Return the Word template to use, refusing a path that is not a readable .docx."""
    if template is None:
        return None
    import zipfile
    if not template.is_file():
        raise UsageError(f"--template: no such file: {template}")
    try:
        with zipfile.ZipFile(template) as archive:
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile
    except (zipfile.BadZipFile, OSError):
        raise UsageError(f"--template: {template} is not a Word .docx document") from None
    from review.office.word.template import check_template as check_word_template
    check_word_template(template)  # macros, external links, broken parts: InputError naming the part
    return template


def render_outputs(loaded: Loaded, options: BuildOptions, issue_date: dt.date,
                   draft_mark: str | None = None, progress: Progress = _quiet,
                   templates_dir: Path | None = None, chart_service=None,
                   while_waiting: Callable[[], None] | None = None,
                   decision_numbers: dict[str, int] | None = None,
                   revision: str | None = None) -> dict[str, bytes]:
    """Return every output file of one period as ``{relative path: bytes}`` — pure, writes nothing.

    ``draft_mark`` (e.g. «مسودة للمراجعة — المراجعة 2») is printed on every page of every pack;
    None renders final packs. ``templates_dir`` holds phrases.yaml, recommendations.yaml and
    logo.png (default: the project's templates/; an archived revision passes its snapshot's).
    The same inputs give the same bytes. ``chart_service``: a started
    :class:`review.pipeline.workers.ChartService`, to draw missing charts (optional); ``while_waiting``:
    work for this process while its workers render (called once). ``decision_numbers``: the
    numbers the period's earlier revisions gave the decisions (kept; ``decisions.json`` holds them
    with this revision's new ones). ``revision`` (the folder name of the revision the files are for,
    with the dashboard and an output root): the plan's page across the quarters is made too, as it
    will be with that revision, under :data:`PLAN_PAGE` (not a file of the revision).
    """
    from review.compose.context import PackContext
    from review.compose.facts import decision_numbering, plan_facts
    from review.compose.sector import sector_charts
    from review.evaluate import evaluate_history
    from review.compose.executive import executive_charts
    from review.model.periods import period_label
    from review.language.phrases import load_phrases
    from review.recommend.proposals import load_rules, propose
    from review.recommend.register import build_register
    from review.pipeline.workers import render_packs
    from review.pipeline.results import results_json

    plan, data = loaded.plan, loaded.data
    lang = options.lang or plan.language
    templates = Path(templates_dir) if templates_dir is not None else TEMPLATES_DIR
    phrases = load_phrases(templates / "phrases.yaml", lang=lang)
    issue_time = dt.datetime.combine(issue_date, dt.time())

    progress(f"Evaluating {len(data.periods)} period(s) up to {options.period}")
    from review.archive.cache import collector_paused
    with collector_paused():  # what is made until the packs are drawn lives as long as the build
        history = evaluate_history(plan, data, options.period, remember_parts(options.out_root, EVALUATION))
        result = history[-1]
        label = period_label(options.period, plan.calendar, lang)
        register = build_register(data.periods, options.period)
        context = PackContext(plan, data, history, phrases, issue_date, check_template(options.template),
                              draft_mark=draft_mark, register=register, plan_dir=Path(options.plan_dir))
        logo = templates / "logo.png"
        context.logo = logo.read_bytes() if logo.is_file() else None
        rules = load_rules(templates / "recommendations.yaml") if (templates / "recommendations.yaml").is_file() else load_rules()
        context.proposals = propose(plan, data, history, register, rules, lang, context.digits, phrases)
        context.decision_numbers = dict(decision_numbers or {})
        context.remember = remember_parts(options.out_root)
        if context.remember is not None:
            from review.archive.canonical import digest
            context.digest = digest

        sectors = [plan.sector_by_id[s] for s in options.sectors] or plan.sectors
        sector_specs = {sector.id: sector_charts(context, sector) for sector in sectors}
        executive_specs = executive_charts(context)
        files: dict[str, bytes] = {"results.json": results_json(plan.id, result),
                                   archive.DECISIONS: archive.numbering_bytes(decision_numbering(context))}
        # The plan's facts (every indicator's), made once here: the workers of the executive pack,
        # the deck and the dashboard inherit them rather than each making them (issue 20).
        plan_facts(context)
    charts = sum(map(len, sector_specs.values())) + len(executive_specs)
    progress(f"Rendering {len(sectors) + 1} packs with {charts} charts")
    side_tasks: list[tuple] = [(results_workbook_file, (label, issue_time))]
    if options.dashboard:
        from review.pipeline.dashboards import dashboard_file
        side_tasks.append((dashboard_file, (files["results.json"],)))  # made once, read by both pages
        if revision is not None and options.out_root is not None:
            side_tasks.append((plan_page_file, (options.out_root, revision, issue_date.isoformat(), files["results.json"])))
    if options.deck:
        side_tasks.append((deck_file, (deck_template(templates),)))
    files.update(render_packs(context, sector_specs, executive_specs, options.out_root, progress,
                              side_tasks=side_tasks,
                              chart_service=chart_service, while_waiting=while_waiting))
    return files


def remember_parts(out_root: Path | None, kind: str | None = None):
    """Return how a pack context remembers the parts of plan-wide outputs (``.cache/parts/``), or
    what ``kind`` of the cache says (:data:`EVALUATION`); None without an output root (a snapshot
    rendered again computes everything)."""
    import functools
    from review.archive.cache import cache_dir, remembered
    cache = cache_dir(out_root)
    return None if cache is None else functools.partial(remembered, cache, kind or PARTS)


#: The cache's folder of parts of plan-wide outputs (see :func:`remember_parts`).
PARTS = "parts"
#: The cache's folder of the earlier periods' evaluations (``review.evaluate.evaluate_history``).
EVALUATION = "evaluation"


def results_workbook_file(context, label: str, issue_time: dt.datetime) -> dict[str, bytes]:
    """Return ``{"results.xlsx": bytes}`` for a pack context (run in a render worker)."""
    from review.compose.results_xlsx import results_workbook
    return {"results.xlsx": results_workbook(context.plan, context.result, context.phrases, label, issue_time)}


#: Where :func:`render_outputs` returns the plan's page across the quarters (``<out>/<plan-id>/
#: dashboard.html``): not a revision's file; the build writes it once the revision is written.
PLAN_PAGE = ":plan-page"


def plan_page_file(context, out_root: Path, revision: str, issue_date: str, results: bytes) -> dict[str, bytes]:
    """Return ``{PLAN_PAGE: bytes}``: the plan's page across the quarters with this build's
    revision ``revision`` and its ``results.json`` (run in a render worker, beside the revision's
    own dashboard)."""
    import json
    from review.pipeline.dashboards import plan_page
    current = (context.period, revision, issue_date, json.loads(results))
    return {PLAN_PAGE: plan_page(out_root, context.plan, context.phrases, current)}


def deck_template(templates: Path) -> bytes | None:
    """Return the deck's master (``templates/deck.pptx``) when there is one, else None; raises
    InputError naming the file and part when it is unsafe or unreadable."""
    path = templates / DECK_TEMPLATE
    if not path.is_file():
        return None
    from review.office.pptx import read_template
    return read_template(path)


def deck_file(context, template: bytes | None) -> dict[str, bytes]:
    """Return ``{"deck.pptx": bytes}`` for a pack context (run in a render worker)."""
    from review.compose.deck import DECK_FILE, write_deck
    return {DECK_FILE: write_deck(context, template)}


def prepare(options: BuildOptions, progress: Progress = _quiet, contents: dict[Path, bytes] | None = None) -> Loaded:
    """Return the loaded plan and data after checking every option; raises InputError/UsageError.
    ``contents``: the input files read already, by path (see :func:`load`)."""
    progress(f"Reading the plan and data of {options.plan_dir}")
    from review.archive.cache import cache_dir
    loaded = load(options.plan_dir, cache_dir(options.out_root), contents)
    plan = loaded.plan
    check_period(loaded, options.period, options.plan_dir)
    unknown = [s for s in options.sectors if s not in plan.sector_by_id]
    if unknown:
        raise UsageError(f"--sector: unknown sector id {unknown[0]!r} (expected one of {', '.join(plan.sector_by_id)})")
    check_template(options.template)
    if options.deck and options.out_root is not None:  # a snapshot's deck master is its own, read when rendering
        deck_template(TEMPLATES_DIR)  # a bad deck master stops the build before any work, like a bad template
    from review.recommend.proposals import load_rules
    load_rules()  # a bad rules file stops the build before any work, like bad data
    for warning in loaded.data.warnings:
        progress(str(warning))
    return loaded


#: What :func:`read_inputs` returns: the snapshot's files, its Word template's name, and the plan's
#: and data files' bytes by path (the same bytes objects).
ReadInputs = tuple[dict[str, bytes], str, dict[Path, bytes]]


def collect_inputs(options: BuildOptions, archived: Path | None = None,
                   read: ReadInputs | None = None) -> tuple[dict[str, bytes], str]:
    """Return every file a build of ``options`` reads, as ``{snapshot name: bytes}``, and the
    snapshot name of its Word template; ``read``: what :func:`read_inputs` returned, when the
    build has read them already (the decisions' numbers are read here, from the archive as it is).

    Snapshot names mirror a plan folder, so a snapshot builds like one: ``snapshot/plan.yaml``,
    ``snapshot/data/<period>/<file>`` (every period folder the intake reads), ``snapshot/templates/…``
    (phrases, recommendation rules and logo, when present), ``snapshot/word/<template>.docx`` and,
    given the period's archive folder ``archived``, ``snapshot/decisions.json``: the decisions'
    numbers of its latest revision, which this build keeps. Reads files only: no parsing, so that an
    up-to-date check costs little.
    """
    inputs, template_name, _ = read if read is not None else read_inputs(options)
    inputs = dict(inputs)
    numbering = archive.latest_numbering(archived) if archived is not None else None
    if numbering is not None:
        inputs[f"{archive.SNAPSHOT}/{archive.DECISIONS}"] = numbering
    return inputs, template_name


def read_inputs(options: BuildOptions) -> ReadInputs:
    """Return the files of :func:`collect_inputs` but the decisions' numbers (which depend on the
    archive), with the plan's and data files' bytes also by path: read once, they serve the
    up-to-date check, the intake's cache keys and the snapshot alike (the snapshot holds the
    bytes the build's data were read from)."""
    from review.intake.readers import data_files, data_folders
    from review.intake.receipts import record_path

    plan_dir = Path(options.plan_dir)
    snapshot = archive.SNAPSHOT
    contents: dict[Path, bytes] = {}

    def read(path: Path) -> bytes:
        contents[path] = path.read_bytes()
        return contents[path]
    inputs = {f"{snapshot}/{PLAN_FILE}": read(plan_dir / PLAN_FILE)}
    for period, folder in data_folders(plan_dir):
        if period is not None:
            for path in data_files(folder):
                inputs[f"{snapshot}/{DATA_DIR}/{folder.name}/{path.name}"] = read(path)
            for name in PERIOD_RECORDS:  # the receipt log and deadline: timeliness (issue 17)
                record = record_path(folder, name)
                if record is not None:
                    inputs[f"{snapshot}/{DATA_DIR}/{folder.name}/{name}"] = read(record)
    for name in TEMPLATE_FILES:
        if (TEMPLATES_DIR / name).is_file():
            inputs[f"{snapshot}/templates/{name}"] = (TEMPLATES_DIR / name).read_bytes()
    template = Path(options.template or DEFAULT_TEMPLATE)
    template_name = f"{snapshot}/word/{template.name}"
    inputs[template_name] = template.read_bytes()
    return inputs, template_name, contents


def quick_plan_id(plan_dir: Path) -> str | None:
    """Return the plan's ``id`` as written at the top of its plan file, read without loading the
    whole plan, or None when it cannot be read so (or is no valid id).

    Only the up-to-date check uses it: a None just means the full build decides.
    """
    from review.intake.yamlfile import top_level_text
    from review.model.ids import is_valid_id
    found = top_level_text(Path(plan_dir) / PLAN_FILE, "id")
    return found if found is not None and is_valid_id(found) else None


def _fingerprint_settings(options: BuildOptions, plan_id: str, issue_date: dt.date, template: str,
                          epoch: int | None) -> dict:
    """Return the settings that change a build's outputs besides its input files (part of the
    fingerprint); ``epoch`` is ``SOURCE_DATE_EPOCH`` (the zip timestamps), None when unset."""
    from review import __version__
    return {"version": __version__, "plan": plan_id, "period": str(options.period), "lang": options.lang,
            "sectors": sorted(set(options.sectors)), "issue_date": issue_date.isoformat(), "template": template,
            "source_date_epoch": epoch, "dashboard": options.dashboard, "deck": options.deck}


def _up_to_date(folder: Path, sectors: list[str], fingerprint: str | Callable[[Path], str], pdf: bool) -> int | None:
    """Return the number of the latest revision of the same kind as a build of ``sectors`` (the
    latest full one for a full build) when it was built from the same fingerprint (and has PDFs
    if asked); None when there is none or it differs.

    A partial build (``--sector``) never stands for a full one, nor one of other sectors.
    ``fingerprint`` may be a function of the revision's folder (see :func:`_same_numbering`).
    """
    wanted = sorted(set(sectors))
    for number in reversed(archive.revision_numbers(folder)):
        try:
            manifest = archive.read_manifest(folder / archive.revision_name(number))
        except archive.ArchiveProblem:
            return None  # a damaged revision is never "up to date", nor known to be of another kind
        if sorted(set((manifest.get("options") or {}).get("sectors") or [])) != wanted:
            continue
        expected = fingerprint(folder / archive.revision_name(number)) if callable(fingerprint) else fingerprint
        if manifest.get("fingerprint") != expected or (pdf and not manifest.get("options", {}).get("pdf")):
            return None
        return number
    return None


def _same_numbering(inputs: dict[str, bytes], settings: dict) -> Callable[[Path], str]:
    """Return the fingerprint a revision would have with ``inputs`` and its own decisions' numbers.

    A build's numbers are those of the latest revision (which include every earlier one's, with
    the same numbers): with the other inputs unchanged, it numbers every decision as the revision
    did, so that revision is up to date although its snapshot held the numbers before it.
    """
    name = f"{archive.SNAPSHOT}/{archive.DECISIONS}"

    def fingerprint(revision: Path) -> str:
        own = {key: value for key, value in inputs.items() if key != name}
        try:
            recorded = archive.revision_bytes(revision, name)  # whole, or an earlier revision's recipe
        except archive.ArchiveProblem:
            recorded = None  # a damaged chunk: not up to date (verify names it)
        if recorded is not None:
            own[name] = recorded
        return archive.fingerprint(own, settings)
    return fingerprint


def build(options: BuildOptions, progress: Progress = _quiet) -> Path:
    """Build one period (see :func:`build_revision`) and return the revision's folder."""
    return build_revision(options, progress)[0]


def build_revision(options: BuildOptions, progress: Progress = _quiet) -> tuple[Path, bool]:
    """Build every output of one period as a new archived revision; return (its folder, True).

    The folder is ``…/<period>/r3``.

    With unchanged inputs, template, options, ``SOURCE_DATE_EPOCH`` and version nothing is built:
    (the folder of the latest revision of the same kind, False) is returned — the latest full one
    for a full build, the latest of the same sectors for a ``--sector`` build (recorded as partial).
    Raises InputError (invalid plan or data), UsageError (bad options, an ``--out`` that is not a
    folder, a finalised period without ``--reason``, another build running, ``--pdf`` without
    LibreOffice); writes nothing then, not even a cache entry, and never touches an earlier revision.
    """
    out_root = options.out_root
    assert out_root is not None  # a build archives: only a snapshot's re-rendering goes without
    archive.check_out_root(out_root)
    if options.pdf:
        from review.office.pdf import require_soffice
        require_soffice()  # before any work: a long build should not fail at its very end
    issue_date = resolve_issue_date(options.issue_date)
    epoch = source_date_epoch()
    from review.archive.cache import cache_limit
    cache_limit()  # a bad REVIEW_CACHE_MB is a usage error before any work

    read: list[ReadInputs] = []  # the input files, read once for both checks and the intake

    def check(plan_id: str, folder: Path):
        """Return (inputs, template, fingerprint, the up-to-date revision's folder or None)."""
        if not read:
            read.append(read_inputs(options))
        inputs, template = collect_inputs(options, folder, read[0])
        settings = _fingerprint_settings(options, plan_id, issue_date, template, epoch)
        fingerprint = archive.fingerprint(inputs, settings)
        current = _up_to_date(folder, options.sectors, _same_numbering(inputs, settings), options.pdf)
        if current is None:
            return inputs, template, fingerprint, None
        archive.write_index(folder, plan_id, options.period)
        progress(f"{plan_id} {options.period} is up to date ({archive.revision_name(current)}): "
                 "inputs, template, options and version unchanged; nothing built")
        return inputs, template, fingerprint, folder / archive.revision_name(current)

    # Matplotlib is imported and warmed up in a worker while the inputs are read and evaluated;
    # started first where processes fork (in milliseconds), since it is the longest way to the
    # first chart (an up-to-date period stops it); where they are spawned (Windows), after the
    # up-to-date check, which a new Python process would only slow down.
    from review.pipeline.workers import forks, start_chart_service
    early = forks()
    service = start_chart_service(options.out_root) if early else None
    try:
        # Fast path: unchanged input bytes need no validation, since the same bytes built the
        # latest revision; answer before loading the plan or importing the heavy stages.
        plan_id = quick_plan_id(options.plan_dir)
        if plan_id is not None:
            folder = archive.period_folder(out_root, plan_id, options.period)
            if archive.revision_numbers(folder):
                with archive.locked(folder, plan_id, options.period):
                    current = check(plan_id, folder)[3]
                if current is not None:
                    return current, False
        if not early:
            service = start_chart_service(options.out_root)
        # The files read by the fast check serve the intake's cache keys (a new period's first
        # build reads them after validating: a file too large is refused before being read whole).
        return _build_new_revision(options, progress, issue_date, epoch, check, service,
                                   read[0][2] if read else None)
    finally:
        if service is not None:
            service.close()


def _build_new_revision(options: BuildOptions, progress: Progress, issue_date: dt.date, epoch: int | None,
                        check, chart_service, contents: dict[Path, bytes] | None) -> tuple[Path, bool]:
    """The part of :func:`build_revision` after the fast up-to-date check (``check`` as there;
    ``contents``: the input files it read, by path, or None)."""
    from review import __version__
    from review.archive.cache import collector_paused, held_back
    out_root = options.out_root
    assert out_root is not None  # as in build_revision
    # What the intake caches is written only once the build is accepted: a refused build writes
    # nothing under --out, not even a cache entry.
    with held_back() as parsed, collector_paused():
        loaded = prepare(options, progress, contents)
    plan_id = loaded.plan.id
    folder = archive.period_folder(out_root, plan_id, options.period)
    with archive.locked(folder, plan_id, options.period):
        pause_at("locked")
        for leftover in archive.clean_staging(folder):
            progress(f"Removed {leftover.name}, left by an interrupted build")
        # Checked again under the lock: another build may just have finished the same revision.
        inputs, template, fingerprint, current = check(plan_id, folder)
        if current is not None:
            parsed.write()
            return current, False
        finalised = archive.final(folder)
        if finalised is not None and not options.reason:
            amended, when = finalised
            raise UsageError(f"{plan_id} {options.period} was finalised on {when[:10]} "
                             f"({archive.revision_name(amended)}); a rebuild needs --reason \"…\" saying why "
                             "(it is recorded as an amendment)")
        parsed.write()
        number = archive.next_revision_number(folder)
        from review.language.formats import localize_digits
        from review.language.phrases import load_phrases
        phrases = load_phrases(lang=options.lang or loaded.plan.language)
        digits = loaded.plan.digits if (options.lang or loaded.plan.language) == "ar" else "latin"
        mark_of = draft_marks(phrases, digits)
        draft_mark = mark_of(number)
        staged: list[Path] = []
        plan_page: bytes | None = None

        def while_waiting() -> None:  # the snapshot is written while the workers render
            staged.append(archive.stage_inputs(folder, number, inputs))

        try:
            numbering = inputs.get(f"{archive.SNAPSHOT}/{archive.DECISIONS}")
            files = render_outputs(loaded, options, issue_date, draft_mark=draft_mark, progress=progress,
                                   chart_service=chart_service, while_waiting=while_waiting,
                                   decision_numbers=None if numbering is None else archive.read_numbering(
                                       numbering, folder / archive.DECISIONS),
                                   revision=archive.revision_name(number))
            plan_page = files.pop(PLAN_PAGE, None)
            pause_at("rendered")
            pack_revisions = keep_earlier_marks(files, number, draft_mark, mark_of,
                                                archive.earlier_packs(folder, number))
            if options.pdf:
                from review.office.pdf import convert_packs
                progress("Converting the packs to PDF/A with LibreOffice (contents with page numbers)")
                files.update(convert_packs(files, lambda page: localize_digits(str(page), digits)))
            manifest = {"tool": "review", "version": __version__, "plan": plan_id, "period": str(options.period),
                        "command": recorded_command(options.command), "issue_date": issue_date.isoformat(),
                        "built_at": archive.utc_now(epoch), "source_date_epoch": epoch,
                        "fingerprint": fingerprint, "draft_mark": draft_mark, "pack_revisions": pack_revisions,
                        "options": {"lang": options.lang, "sectors": list(options.sectors), "template": template,
                                    "pdf": options.pdf, "dashboard": options.dashboard, "deck": options.deck},
                        "partial": bool(options.sectors),
                        "reason": options.reason, "amends": finalised[0] if finalised else None}
            progress(f"Writing {archive.revision_name(number)}: {len(files)} files and a snapshot of "
                     f"{len(inputs)} inputs to {folder}")
            revision = archive.write_revision(folder, number, files, inputs, manifest,
                                              staging=staged[0] if staged else None, progress=progress)
        except BaseException:
            # Whatever stopped the build (a failed PDF conversion, Ctrl+C), it leaves no staging folder.
            for staging in staged:
                archive.discard_staging(staging)
            raise
    if plan_page is not None:  # made beside the revision's outputs, from the archive and this revision
        from review.pipeline.dashboards import DASHBOARD
        written = archive.plan_folder(out_root, plan_id) / DASHBOARD
        archive.replace_file(written, plan_page)
        progress(f"Rewrote {written} from the latest revision of every period")
    from review.archive.cache import cache_dir, cache_limit, trim
    removed, freed = trim(cache_dir(out_root), cache_limit())
    if removed:
        progress(f"Cache over REVIEW_CACHE_MB: removed {removed} least recently used entries ({freed / 2**20:.1f} MB)")
    return revision, True


def draft_marks(phrases, digits: str) -> Callable[[int], str]:
    """Return ``mark(n)``: the draft mark of revision ``n`` («مسودة للمراجعة — المراجعة ٢») in the
    catalogue's wording and the plan's digits."""
    from review.language.formats import localize_digits
    return lambda number: phrases("pack.draft", revision=localize_digits(str(number), digits))


def keep_earlier_marks(files: dict[str, bytes], number: int, draft_mark: str, mark_of: Callable[[int], str],
                       earlier: dict[str, tuple[int, str]]) -> dict[str, int]:
    """Give each pack of revision ``number`` the mark of the revision in which its content last
    changed; return ``{pack name: that revision}`` (the manifest's ``pack_revisions``).

    ``files`` holds the packs marked ``draft_mark`` (this revision's); ``earlier`` is
    :func:`review.archive.revisions.earlier_packs`. A pack that, marked as its earlier version was,
    is byte-identical to it keeps that mark (replaced in ``files``), and the archive shares the
    file with the earlier revision; any other pack, a new one included, keeps this revision's.
    """
    from review.office.word.writer import replace_in_headers
    kept: dict[str, int] = {}
    for name in sorted(n for n in files if archive.is_pack(n)):
        kept[name] = number
        if name not in earlier or earlier[name][0] == number:
            continue
        stamp, recorded = earlier[name]
        try:
            restamped = replace_in_headers(files[name], draft_mark, mark_of(stamp))
        except ValueError:  # no header holds the mark (a pack without one): nothing to keep
            continue
        if archive.sha256(restamped) == recorded:
            files[name], kept[name] = restamped, stamp
    return kept


def restamp(files: dict[str, bytes], manifest: dict, draft_mark: str, mark_of: Callable[[int], str]) -> None:
    """Mark the packs of ``files`` (rendered with ``draft_mark``) as the revision of ``manifest``
    recorded them (``pack_revisions``, see :func:`keep_earlier_marks`), in place."""
    from review.office.word.writer import replace_in_headers
    for name in sorted(files):
        stamp = archive.pack_revision(manifest, name) if archive.is_pack(name) else None
        if stamp is not None and stamp != manifest.get("revision") and mark_of(stamp) != draft_mark:
            with contextlib.suppress(ValueError):  # no header holds the mark: the comparison tells
                files[name] = replace_in_headers(files[name], draft_mark, mark_of(stamp))


def render_snapshot(revision: Path, manifest: dict, draft_mark: str | None,
                    progress: Progress = _quiet, paged: bool = False) -> dict[str, bytes]:
    """Return the outputs of an archived revision rendered again from its own ``snapshot/`` (no PDFs).

    Uses the recorded options, issue date and ``SOURCE_DATE_EPOCH`` (whatever the environment
    says now); ``draft_mark`` None renders the final packs. Phrases, recommendation rules and logo
    come from the snapshot's ``templates/`` too. With ``paged`` LibreOffice lays the packs out:
    their contents get page numbers, and their PDF copies are returned too (``<name>.pdf``).
    Raises InputError/UsageError like a build.
    """
    recorded = manifest.get("options", {})
    # out_root None: no chart cache, so every chart is really drawn again from the snapshot.
    issue_date = dt.date.fromisoformat(manifest["issue_date"])
    options = BuildOptions(revision / archive.SNAPSHOT, Period.parse(manifest["period"]), out_root=None,
                           sectors=list(recorded.get("sectors") or []), lang=recorded.get("lang"),
                           issue_date=issue_date, template=revision / recorded["template"],
                           dashboard=bool(recorded.get("dashboard", False)), deck=bool(recorded.get("deck", False)))
    with recorded_epoch(manifest):
        loaded = prepare(options, progress)
        numbering = revision / archive.SNAPSHOT / archive.DECISIONS
        files = render_outputs(loaded, options, issue_date, draft_mark=draft_mark, progress=progress,
                               templates_dir=revision / archive.SNAPSHOT / "templates",
                               decision_numbers=archive.read_numbering(numbering.read_bytes(), numbering)
                               if numbering.is_file() else None)
        lang = options.lang or loaded.plan.language
        digits = loaded.plan.digits if lang == "ar" else "latin"
        if draft_mark is not None and manifest.get("pack_revisions"):  # zip times: inside recorded_epoch
            from review.language.phrases import load_phrases
            phrases_file = revision / archive.SNAPSHOT / "templates" / "phrases.yaml"
            phrases = load_phrases(phrases_file, lang=lang) if phrases_file.is_file() else load_phrases(lang=lang)
            restamp(files, manifest, draft_mark, draft_marks(phrases, digits))
    if paged:
        from review.language.formats import localize_digits
        from review.office.pdf import number_pages
        progress("Laying the packs out with LibreOffice for the contents' page numbers")
        numbered, pdfs = number_pages(files, lambda page: localize_digits(str(page), digits))
        files.update(numbered)
        files.update(pdfs)
    return files


def live_differences(manifest: dict) -> list[str]:
    """Return how the running tool differs from the one that built a revision (its version).

    Templates need no note: a rebuild reads the snapshot's own copies.
    """
    from review import __version__
    if manifest.get("version") != __version__:
        return [f"the tool is version {__version__}, the revision was built by {manifest.get('version')}"]
    return []