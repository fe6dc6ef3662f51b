"""Validation rules of a plan, shared by the model (admin, services) and the API.

Each validator raises Django's ``ValidationError``; DRF turns it into a field
error of the serializer field that uses it.
"""

import json
import math
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError


def _validate_coordinate(value: Any, *, limit: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("Must be a number.", code="invalid")
    if not math.isfinite(value):
        raise ValidationError("Must be a finite number.", code="not_finite")
    if not -limit <= value <= limit:
        raise ValidationError(f"Must be between -{limit:g} and {limit:g}.", code="out_of_range")


def validate_latitude(value: float) -> None:
    _validate_coordinate(value, limit=90)


def validate_longitude(value: float) -> None:
    _validate_coordinate(value, limit=180)


def validate_timezone(value: str) -> None:
    """An IANA time zone name that this machine's tz database knows (``Europe/Berlin``)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationError(
            f"“{value}” is not a known IANA time zone name (e.g. Europe/Berlin).", code="invalid_timezone"
        ) from exc


def json_depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (a scalar is 0, ``{}`` is 1).

    Iterative, so a hostile document cannot exhaust the interpreter's stack.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    children: Iterable[Any]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def plan_data_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON: what the limit counts."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())


def validate_plan_data(value: Any) -> None:
    """Free-form plan data, but a JSON object of bounded depth and size."""
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.", code="not_an_object")
    max_depth = settings.PLAN_DATA_MAX_DEPTH
    if json_depth(value) > max_depth:
        raise ValidationError(f"Nests deeper than {max_depth} levels.", code="too_deep")
    try:
        size = plan_data_size(value)
    except ValueError as exc:  # NaN or Infinity somewhere inside
        raise ValidationError("Must not contain NaN or Infinity.", code="not_finite") from exc
    except TypeError as exc:
        raise ValidationError("Must contain only JSON values.", code="invalid") from exc
    max_bytes = settings.PLAN_DATA_MAX_BYTES
    if size > max_bytes:
        raise ValidationError(
            f"Is {size} bytes as JSON; the limit is {max_bytes} bytes.",
            code="too_large",
        )
