"""The data dashboards (SPEC §5.7): ``dashboard.html`` in a revision, and the plan's page across
the quarters, ``<out>/<plan-id>/dashboard.html``, rebuilt from the archive after each build."""

from __future__ import annotations

import json
from pathlib import Path

from review.archive import revisions as archive
from review.model.layout import TEMPLATES_DIR
from review.model.periods import Period

#: The dashboard's file name, in a revision and in the plan's output folder.
DASHBOARD = "dashboard.html"


def dashboard_file(context, results: bytes) -> dict[str, bytes]:
    """Return ``{"dashboard.html": bytes}`` for a pack context (run in a render worker), its
    numbers those of the period's ``results.json`` (``results``, as the build wrote it)."""
    from review.compose.dashboard import render_dashboard
    return {DASHBOARD: render_dashboard(context, json.loads(results))}


def archived_results(out_root: Path, plan_id: str) -> list[tuple[Period, str, str, dict]]:
    """Return, for every period of the plan with a revision, oldest first: (period, the latest
    revision's name, its issue date as ISO text, its ``results.json``).

    A period whose latest revision's results or manifest cannot be read is left out (``review
    archive verify`` reports it).
    """
    found = []
    for name, revision in archive.latest_revisions(out_root, plan_id):
        try:
            period = Period.parse(name)
            document = json.loads((revision / "results.json").read_text(encoding="utf-8"))
            manifest = archive.read_manifest(revision)
        except (OSError, ValueError, archive.ArchiveProblem):
            continue
        if isinstance(document, dict) and document.get("plan") == plan_id:
            found.append((period, revision.name, str(manifest.get("issue_date") or ""), document))
    return found


def write_plan_dashboard(out_root: Path, plan, lang: str | None = None,
                         templates_dir: Path | None = None) -> Path | None:
    """Rewrite ``<out_root>/<plan-id>/dashboard.html`` (atomically) from every period's latest
    revision, worded for ``plan`` in ``lang`` (default: the plan's); return its path, or None when
    the plan has no revision yet."""
    from review.compose.dashboard import render_across, wording_context
    from review.language.phrases import load_phrases
    periods = archived_results(out_root, plan.id)
    if not periods:
        return None
    phrases = load_phrases(Path(templates_dir or TEMPLATES_DIR) / "phrases.yaml", lang=lang or plan.language)
    target = archive.plan_folder(out_root, plan.id) / DASHBOARD
    archive.replace_file(target, render_across(wording_context(plan, phrases), periods))
    return target


def plan_page(out_root: Path, plan, phrases, current: tuple[Period, str, str, dict]) -> bytes:
    """Return the plan's page across the quarters as it will be once the revision that ``current``
    describes — (period, revision folder name, issue date as ISO text, its ``results.json``) — is
    written: every other period's latest revision from the archive, and ``current`` for its
    period; worded by ``phrases``. The same bytes as :func:`write_plan_dashboard` writes then."""
    from review.compose.dashboard import render_across, wording_context
    periods = [entry for entry in archived_results(out_root, plan.id) if entry[0] != current[0]]
    return render_across(wording_context(plan, phrases), sorted([*periods, current], key=lambda entry: entry[0]))
