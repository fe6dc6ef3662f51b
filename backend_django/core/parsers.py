"""Request body parsers with limits.

DRF's JSONParser reads the whole request stream, past Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, and very deep nesting raises RecursionError (a
500). These parsers cap the body and answer absurd nesting with a 400.
"""

import io

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


class BoundedJSONParser(JSONParser):
    """JSON of at most ``max_bytes()`` bytes (default PLANS_REQUEST_MAX_BYTES)."""

    def max_bytes(self) -> int:
        return settings.PLANS_REQUEST_MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        limit = self.max_bytes()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestBodyTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document nests too deeply.") from exc
