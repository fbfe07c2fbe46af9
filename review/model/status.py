"""Status vocabulary shared by evaluation, tables, charts and workbooks.

One colour per status everywhere (SPEC §4.4): the same hex value colours a table cell,
a chart bar and an Excel fill. Labels live in templates/phrases.yaml (key ``status.<key>``).
"""

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
STALLED = "stalled"
NO_DATA = "no_data"
COMPLETED = "completed"
DELAYED = "delayed"

#: Indicator and roll-up statuses, best first (the order of legends and counts).
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, STALLED, NO_DATA)
#: Project statuses add completed and delayed.
PROJECT_STATUSES = (COMPLETED, ON_TRACK, AT_RISK, OFF_TRACK, DELAYED, NO_DATA)

#: RGB hex without '#': green, amber, red, dark red, grey (SPEC §4.4); blue and purple for projects.
COLOURS = {
    ON_TRACK: "2E7D32",
    AT_RISK: "F2A900",
    OFF_TRACK: "D32F2F",
    STALLED: "7B1010",
    NO_DATA: "9E9E9E",
    COMPLETED: "1565C0",
    DELAYED: "6A1B9A",
}

#: Text colour that reads on each fill (white on dark fills, black on amber and grey).
TEXT_COLOURS = {
    ON_TRACK: "FFFFFF",
    AT_RISK: "000000",
    OFF_TRACK: "FFFFFF",
    STALLED: "FFFFFF",
    NO_DATA: "000000",
    COMPLETED: "FFFFFF",
    DELAYED: "FFFFFF",
}


def colour(status: str) -> str:
    """Return the RGB hex (no '#') for a status key; unknown keys get the no-data grey."""
    return COLOURS.get(status, COLOURS[NO_DATA])
