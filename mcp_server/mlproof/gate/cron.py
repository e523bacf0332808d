"""How often a schedule fires: the longest gap between two runs of a cron expression.

"The latest drift run is no older than two schedule periods" needs the period.
For a cron expression it is the longest gap between consecutive firing times
(a weekday-only schedule fires daily but its longest gap is three days), found
by walking the firing times over a year and a half; macros (`@daily`), AWS
`rate(...)`, Cloud Scheduler `every N hours` and Kubeflow `every Ns` are read
directly. Anything else is None: the period is not known.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hr": 3600, "hour": 3600,
         "d": 86400, "day": 86400, "w": 604800, "week": 604800}
MONTHS = {name: index for index, name in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
DAYS = {name: index for index, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
HORIZON_DAYS = 550  # long enough to see a yearly schedule fire twice
MAX_FIRES = 20_000  # a minute-level schedule shows its gap long before this


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                return None
            step = int(step_text)
        if part in ("*", "?", ""):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _value(first, names), _value(last, names)
            if start is None or end is None:
                return None
        else:
            start = _value(part, names)
            if start is None:
                return None
            end = high if step > 1 else start
        if start < low or end > high or start > end:
            return None
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int | None:
    if text.isdigit():
        return int(text)
    if names and text[:3] in names:
        return names[text[:3]]
    return None


def cron_period(expression: str) -> timedelta | None:
    """The longest gap between firings of a five-field cron expression (or a macro), None when unreadable."""
    text = MACROS.get(expression.strip().lower(), expression.strip())
    parts = text.split()
    if len(parts) == 6:  # Quartz and Spring put a seconds field first
        parts = parts[1:]
    if len(parts) != 5:
        return None
    minutes = _field(parts[0], 0, 59)
    hours = _field(parts[1], 0, 23)
    days = _field(parts[2], 1, 31)
    months = _field(parts[3], 1, 12, MONTHS)
    weekdays = _field(parts[4], 0, 7, DAYS)
    if None in (minutes, hours, days, months, weekdays):
        return None
    weekdays = {0 if d == 7 else d for d in weekdays}
    day_any, weekday_any = parts[2] in ("*", "?"), parts[4] in ("*", "?")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    previous, longest, fires = None, timedelta(0), 0
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        if day.month not in months:
            continue
        cron_weekday = (day.weekday() + 1) % 7
        if day_any and weekday_any:
            fits = True
        elif day_any:
            fits = cron_weekday in weekdays
        elif weekday_any:
            fits = day.day in days
        else:  # both restricted: cron fires when either matches
            fits = day.day in days or cron_weekday in weekdays
        if not fits:
            continue
        for hour in sorted(hours):
            for minute in sorted(minutes):
                moment = day + timedelta(hours=hour, minutes=minute)
                if previous is not None:
                    longest = max(longest, moment - previous)
                previous = moment
                fires += 1
                if fires >= MAX_FIRES:
                    return longest
    return longest if longest > timedelta(0) else None


def schedule_period(detail: str) -> timedelta | None:
    """The period of a trigger's schedule text: cron, macro, rate(...), every N units; None when unknown."""
    text = (detail or "").strip().strip("\"'")
    rate = re.fullmatch(r"(?i)rate\(\s*(\d+)\s+([a-z]+?)s?\s*\)", text)
    every = re.fullmatch(r"(?i)every\s+(\d+)\s*([a-z]+?)s?", text)
    for match in (rate, every):
        if match:
            unit = UNITS.get(match.group(2).lower())
            return timedelta(seconds=int(match.group(1)) * unit) if unit else None
    cron = re.fullmatch(r"(?i)cron\((.*)\)", text)
    if cron:  # AWS cron(min hour dom month dow year)
        fields = cron.group(1).split()
        text = " ".join(fields[:5]) if len(fields) == 6 else cron.group(1)
    return cron_period(text)
