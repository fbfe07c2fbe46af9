"""Status vocabulary shared by evaluation, tables, charts and workbooks.

One colour per status everywhere (SPEC §4.4, §5.6): the same hex value colours a table cell,
a chart bar and an Excel fill, for indicators, projects and recommendations alike. Labels live in
templates/phrases.yaml (key ``status.<key>``), one word per status: «متأخر عن الخطة» (behind
plan), «تجاوز موعد الانتهاء» (past the end date), «متعثر» (stalled).

The palette reads in greyscale print and for colour-blind readers: the label is always printed in
the cell, and the seven colours differ in CIE lightness (L*) by at least 8 (see :func:`lightness`),
so no two statuses print as the same grey.
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
#: Every status, in the order of the legend.
ALL_STATUSES = (COMPLETED, ON_TRACK, AT_RISK, OFF_TRACK, DELAYED, STALLED, NO_DATA)

#: RGB hex without '#'. L* in brackets: dark red (18), dark blue (27), red (38), green (49),
#: orange (57), grey (72), yellow (85).
COLOURS = {
    ON_TRACK: "2E8540",
    AT_RISK: "F6D04D",
    OFF_TRACK: "E66100",
    STALLED: "5C0A0A",
    NO_DATA: "B0B0B0",
    COMPLETED: "1F3F7A",
    DELAYED: "B2182B",
}

#: Text colour that reads on each fill: white on the dark fills (L* < 55), black on the light ones.
TEXT_COLOURS = {
    ON_TRACK: "FFFFFF",
    AT_RISK: "000000",
    OFF_TRACK: "000000",
    STALLED: "FFFFFF",
    NO_DATA: "000000",
    COMPLETED: "FFFFFF",
    DELAYED: "FFFFFF",
}

#: An adopted recommendation's status → the status whose label colour it wears: done is
#: completed, in progress on track, overdue past its deadline like a delayed project.
RECOMMENDATION_COLOURS = {
    "done": COMPLETED,
    "in_progress": ON_TRACK,
    "not_started": NO_DATA,
    "dropped": NO_DATA,
    "overdue": DELAYED,
}


def colour(status: str) -> str:
    """Return the RGB hex (no '#') for a status key; unknown keys get the no-data grey."""
    return COLOURS.get(status, COLOURS[NO_DATA])


def text_colour(status: str) -> str:
    """Return the RGB hex (no '#') of text printed on ``status``'s fill."""
    return TEXT_COLOURS.get(status, TEXT_COLOURS[NO_DATA])


def lightness(hex_colour: str) -> float:
    """Return the CIE L* lightness (0 black – 100 white) of an sRGB hex colour (no '#')."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    f = y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f - 16
