"""The one guard every JSON request body goes through.

DRF's JSONParser reads the whole request stream, past Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, and very deep nesting raises RecursionError (a
500) in the parser or later in the code that walks the data. This parser is
the default of every endpoint (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): a
body larger than ``max_bytes()`` is refused with 413 before it is parsed,
and one nesting deeper than JSON_REQUEST_MAX_DEPTH with 400, both in the
API's one error shape.
"""

import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` levels (iteratively)."""
    stack = [(value, 1)]
    children: Iterable[Any]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedJSONParser(JSONParser):
    """JSON of at most ``max_bytes()`` bytes and ``max_depth()`` levels."""

    def max_bytes(self) -> int:
        return settings.JSON_REQUEST_MAX_BYTES

    def max_depth(self) -> int:
        return settings.JSON_REQUEST_MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        limit = self.max_bytes()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestBodyTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document nests too deeply.") from exc
        if json_depth_exceeds(data, self.max_depth()):
            raise ParseError(
                f"JSON parse error - the document nests more than {self.max_depth()} levels deep."
            )
        return data


class PlansJSONParser(BoundedJSONParser):
    """Plan bodies: up to PLANS_REQUEST_MAX_BYTES (a batch carries many plans)."""

    def max_bytes(self) -> int:
        return settings.PLANS_REQUEST_MAX_BYTES
