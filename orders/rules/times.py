"""Timestamps on the wire: RFC 3339, UTC, milliseconds (2021-09-14T12:16:50.078Z)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

RFC3339_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)
RFC3339_DESCRIPTION = "Must be an RFC 3339 timestamp such as 2021-09-14T12:16:50.078Z."


def rfc3339(value: datetime) -> str:
    """2021-09-14T12:16:50.078Z: UTC, milliseconds, Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_rfc3339(value: object) -> datetime:
    """The UTC moment, truncated (never rounded) to milliseconds; ValueError when malformed."""
    match = RFC3339_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(RFC3339_DESCRIPTION)
    day, clock, fraction, offset = match.groups()
    millis = int(((fraction or "") + "000")[:3])
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}").replace(microsecond=millis * 1000)
        if offset.upper() != "Z":
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError(RFC3339_DESCRIPTION)
            moment = moment - sign * timedelta(hours=hours, minutes=minutes)
    except (ValueError, OverflowError) as exc:
        raise ValueError(RFC3339_DESCRIPTION) from exc
    return moment.replace(tzinfo=UTC)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date_or_timestamp(value: str) -> datetime | None:
    """A query's date (2021-10-25, midnight UTC) or RFC 3339 timestamp; None when neither."""
    if _DATE_RE.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None
