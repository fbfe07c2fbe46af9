"""review — quarterly review briefing packs (Arabic, right to left) from a plan and its data."""

__version__ = "0.1.0"
