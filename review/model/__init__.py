"""The model: periods and calendars, statuses, ids, the typed plan and the data value types.
Imports nothing of review but errors.
"""
