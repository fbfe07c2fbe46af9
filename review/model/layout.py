"""Where the project's inputs live: names shared by the loaders, the build and the archive.

Kept free of heavy imports so that an up-to-date check can find every input without loading
the plan, the Word library or Excel.
"""

from __future__ import annotations

from pathlib import Path

#: The project's templates folder (the repository's ``templates/``): Word template, phrases, rules.
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
#: The default Word template (regenerate with ``python -m review.office.word.template``).
DEFAULT_TEMPLATE = TEMPLATES_DIR / "briefing.docx"
#: The workshop deck's master (slide master, fonts, colours), used when present.
DECK_TEMPLATE = "deck.pptx"
#: Files of ``templates/`` that a build reads when present (and keeps in its snapshot).
TEMPLATE_FILES = ("phrases.yaml", "recommendations.yaml", "logo.png", DECK_TEMPLATE)
#: A plan folder's plan file and data folder.
PLAN_FILE = "plan.yaml"
DATA_DIR = "data"
#: What ``review receive`` and ``review forms`` keep in a period folder beside the data files; the
#: data readers skip them (docs/data-files.md): the receipt log, the recorded deadline, and the
#: folder of superseded submissions.
RECEIPTS_FILE = "receipts.csv"
DEADLINE_FILE = "deadline.txt"
SUPERSEDED_DIR = "superseded"
PERIOD_RECORDS = (RECEIPTS_FILE, DEADLINE_FILE)
