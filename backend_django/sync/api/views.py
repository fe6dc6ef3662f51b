"""The PowerSync backend: sync/token/, sync/jwks/ and sync/upload/ (docs/sync.md)."""

import contextlib
import copy
import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from backend_django.core.api.schema import ErrorSerializer
from backend_django.core.exceptions import error_body, exception_handler
from backend_django.core.parsers import PlansJSONParser
from backend_django.plans.api.serializers import PlanSerializer
from backend_django.plans.beds import beds_empty
from backend_django.plans.services import PLAN_OPTIONAL_DEFAULTS
from backend_django.sync.authentication import SyncTokenAuthentication
from backend_django.sync.selectors import jwks_get
from backend_django.sync.services import SyncOp, sync_ops_apply
from backend_django.sync.tokens import sync_token_issue
from backend_django.users.api.auth import signed_in_user

from .serializers import (
    JWKSSerializer,
    SyncTokenSerializer,
    SyncUploadOpSerializer,
    SyncUploadResponseSerializer,
    SyncUploadSerializer,
)

logger = logging.getLogger(__name__)

_ERROR = ErrorSerializer
DATABASE_RETRY_AFTER_SECONDS = 5


class _DatabaseDownIs503(APIView):
    """A database that does not answer is a transient failure: 503, so clients retry."""

    def handle_exception(self, exc):
        if isinstance(exc, OperationalError | InterfaceError):
            logger.warning("sync request failed: the database did not answer", exc_info=exc)
            return Response(
                error_body("database_unavailable", "The database is not answering; try again shortly."),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
            )
        return super().handle_exception(exc)


class SyncTokenView(_DatabaseDownIs503, APIView):
    """A sync token for the signed-in person (session or API token; not a sync token)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="sync_token",
        summary="Get a sync token for PowerSync",
        description=(
            "A short-lived JWT (SYNC_TOKEN_LIFETIME, 5 minutes by default) signed with the current key "
            "of sync/jwks/, with `sub` = your user id and `aud` = SYNC_JWT_AUDIENCE, and the PowerSync "
            "service URL to connect to. Call it from PowerSyncBackendConnector.fetchCredentials(). "
            "503 while no signing key is configured."
        ),
        responses={200: SyncTokenSerializer, 401: _ERROR, 503: _ERROR},
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        issued = sync_token_issue(user=user)
        body = {
            "token": issued.token,
            "endpoint": settings.POWERSYNC_URL,
            "user_id": str(user.pk),
            "expires_at": issued.expires_at,
        }
        return Response(SyncTokenSerializer(body).data, headers={"Cache-Control": "no-store"})


class SyncJWKSView(_DatabaseDownIs503, APIView):
    """The public keys that verify sync tokens (what PowerSync's jwks_uri points at)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="sync_jwks",
        summary="Public keys of the sync tokens (JWKS)",
        description=(
            "A JSON Web Key Set with every published key (`use: sig`, `kid`, `alg`). During a key "
            "rotation it holds the old and the new key. Cacheable for SYNC_JWKS_MAX_AGE seconds; "
            "`If-None-Match` answers 304."
        ),
        responses={200: JWKSSerializer, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request) -> Response:
        jwks = jwks_get()
        etag = '"' + hashlib.sha256(json.dumps(jwks, sort_keys=True).encode()).hexdigest()[:32] + '"'
        headers = {"Cache-Control": f"public, max-age={settings.SYNC_JWKS_MAX_AGE}", "ETag": etag}
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(jwks, headers=headers)


UPLOAD_EXAMPLE = OpenApiExample(
    "A CRUD batch from the PowerSync client",
    request_only=True,
    value={
        "batch": [
            {
                "op": "PUT",
                "table": "plans",
                "id": "6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01",
                "data": {
                    "name": "Allotment",
                    "latitude": 52.52,
                    "longitude": 13.405,
                    "data": '{"notes":"South-facing"}',
                    "beds": '{"type":"FeatureCollection","features":[]}',
                },
            },
            {
                "op": "PATCH",
                "table": "plans",
                "id": "0c9a4f3e-54f3-4a55-8a5e-3d6f1b9e2c10",
                "data": {"latitude": 91},
            },
            {"op": "DELETE", "table": "plans", "id": "b2d3c4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"},
        ]
    },
)
UPLOAD_RESULT_EXAMPLE = OpenApiExample(
    "The second op was rejected; the others are stored",
    response_only=True,
    status_codes=["200"],
    value={
        "results": [
            {
                "index": 0,
                "op": "PUT",
                "table": "plans",
                "id": "6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01",
                "status": "applied",
            },
            {
                "index": 1,
                "op": "PATCH",
                "table": "plans",
                "id": "0c9a4f3e-54f3-4a55-8a5e-3d6f1b9e2c10",
                "status": "rejected",
                "error": {
                    "code": "invalid",
                    "message": "latitude: Must be between -90 and 90.",
                    "fields": {"latitude": ["Must be between -90 and 90."]},
                },
            },
            {
                "index": 2,
                "op": "DELETE",
                "table": "plans",
                "id": "b2d3c4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
                "status": "applied",
            },
        ],
        "applied": 2,
        "rejected": 1,
    },
)


class SyncUploadView(_DatabaseDownIs503, APIView):
    """Applies the PowerSync client's queued writes."""

    # The sync token first, so a request without credentials is told to bring one.
    # The stubs type the setting as written (dotted paths); api_settings gives the classes.
    authentication_classes = [SyncTokenAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]  # type: ignore[list-item]
    permission_classes = [IsAuthenticated]
    parser_classes = [PlansJSONParser]

    @extend_schema(
        operation_id="sync_upload",
        summary="Upload a PowerSync CRUD batch",
        description=(
            "Applies the ops in order in one transaction, each scoped to the token's user. Every op "
            "gets a result: `applied`, or `rejected` with the error the plans API would give (code, "
            "message, field errors) while the other ops still apply. PUT = the whole row, created with "
            "this id if absent; PATCH = changed columns; DELETE. A PATCH or DELETE of a row that no "
            "longer exists is an applied no-op, so a retried batch is harmless; an id that is someone "
            "else's plan is rejected as not_found. Answers 200 whatever the ops' fate, 400 only for a "
            "body that is not a batch, 401 for a missing or expired token, 503 when the database is "
            "down (retry later). At most SYNC_UPLOAD_MAX_OPS ops."
        ),
        request=SyncUploadSerializer,
        responses={200: SyncUploadResponseSerializer, 400: _ERROR, 401: _ERROR, 413: _ERROR, 503: _ERROR},
        examples=[UPLOAD_EXAMPLE, UPLOAD_RESULT_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        raw_ops = request.data.get("batch") if isinstance(request.data, dict) else None
        if not isinstance(raw_ops, list):
            raise ValidationError({"batch": ["A list of operations is required."]})
        max_ops = settings.SYNC_UPLOAD_MAX_OPS
        if len(raw_ops) > max_ops:
            message = f"At most {max_ops} operations per upload, got {len(raw_ops)}."
            raise ValidationError({"batch": [message]})

        parsed = [_parsed_op(raw) for raw in raw_ops]
        valid = [op for op in parsed if isinstance(op, SyncOp)]
        outcomes = iter(sync_ops_apply(owner=signed_in_user(request), ops=valid))
        results = []
        for index, (raw, op) in enumerate(zip(raw_ops, parsed, strict=True)):
            error = next(outcomes) if isinstance(op, SyncOp) else op
            results.append(self._result(index, raw, error, request))
        rejected = sum(result["status"] == "rejected" for result in results)
        return Response({"results": results, "applied": len(results) - rejected, "rejected": rejected})

    def _result(self, index: int, raw: Any, error: Exception | None, request: Request) -> dict[str, Any]:
        fields = raw if isinstance(raw, dict) else {}
        result: dict[str, Any] = {
            "index": index,
            "op": fields.get("op") if isinstance(fields.get("op"), str) else None,
            "table": _table_of(fields) if isinstance(_table_of(fields), str) else None,
            "id": str(fields["id"]) if isinstance(fields.get("id"), str | int) else None,
            "status": "applied",
        }
        if error is not None:
            if isinstance(error, DjangoValidationError):
                error = ValidationError(as_serializer_error(error))
            response = exception_handler(error, {"view": self, "request": request})
            if response is None:  # not an API error: a bug, not the client's data
                raise error
            result["status"] = "rejected"
            result["error"] = response.data["error"]
        return result


def _table_of(raw: dict[str, Any]) -> Any:
    # CrudEntry.toJSON() calls the table "type".
    return raw["table"] if "table" in raw else raw.get("type")


# How a NULL column of the client's SQLite row maps to a plan field: the field's default.
_NULL_MEANS = {**PLAN_OPTIONAL_DEFAULTS, "data": {}, "beds": beds_empty()}
# Columns the client holds as JSON text.
_JSON_COLUMNS = {"data", "beds"}


# SQLite has no booleans: the client's 0/1 in these columns are false/true.
_BOOLEAN_COLUMNS = {"archived"}


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Client column values → plan API fields: JSON text decoded, 0/1 as booleans, NULL → the default."""
    fields = {}
    for name, value in data.items():
        if value is None and name in _NULL_MEANS:
            value = copy.deepcopy(_NULL_MEANS[name])
        elif name in _JSON_COLUMNS and isinstance(value, str):
            # Text that is not JSON stays text: validation says it must be a JSON object.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif name in _BOOLEAN_COLUMNS and type(value) is int and value in (0, 1):
            value = bool(value)
        fields[name] = value
    return fields


def _parsed_op(raw: Any) -> SyncOp | ValidationError:
    """One validated op, or the validation error that rejects it."""
    if not isinstance(raw, dict):
        return ValidationError({"non_field_errors": ["An operation must be a JSON object."]})
    envelope = SyncUploadOpSerializer(data={**raw, "table": _table_of(raw)})
    if not envelope.is_valid():
        return ValidationError(envelope.errors)
    op, table, plan_id = (envelope.validated_data[name] for name in ("op", "table", "id"))
    if op == "DELETE":
        return SyncOp(op=op, table=table, id=plan_id)
    data = _plan_fields(envelope.validated_data.get("data") or {})
    plan_fields = PlanSerializer(data=data, partial=op == "PATCH")
    if not plan_fields.is_valid():
        return ValidationError(plan_fields.errors)
    fields = dict(plan_fields.validated_data)
    body_id = fields.pop("id", None)
    if body_id is not None and body_id != plan_id:
        return ValidationError({"id": ["Does not match the op's id."]})
    return SyncOp(op=op, table=table, id=plan_id, fields=fields)
