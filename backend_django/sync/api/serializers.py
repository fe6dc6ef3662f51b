from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers

from backend_django.sync.services import SYNCED_TABLES


class SyncTokenSchemeExtension(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Bearer <sync token>`` in the OpenAPI schema."""

    target_class = "backend_django.sync.authentication.SyncTokenAuthentication"
    name = "syncToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A sync token from GET /api/v1/sync/token/.",
        }


class SyncTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The JWT (kid, sub, aud, iat, exp) for PowerSync.")
    endpoint = serializers.URLField(help_text="The PowerSync service URL the client connects to.")
    user_id = serializers.CharField(help_text="The token's `sub`: what sync streams see as auth.user_id().")
    expires_at = serializers.DateTimeField(help_text="When the token expires (exp); fetch a new one before.")


class JWKSerializer(serializers.Serializer):
    kty = serializers.ChoiceField(choices=["EC", "RSA", "OKP"])
    kid = serializers.CharField(help_text="Key id: the `kid` of the tokens this key verifies.")
    alg = serializers.ChoiceField(choices=["ES256", "RS256", "EdDSA"])
    use = serializers.ChoiceField(choices=["sig"])
    crv = serializers.CharField(required=False, help_text="EC and OKP keys: P-256 or Ed25519.")
    x = serializers.CharField(required=False)
    y = serializers.CharField(required=False)
    n = serializers.CharField(required=False, help_text="RSA keys: modulus.")
    e = serializers.CharField(required=False, help_text="RSA keys: exponent.")


class JWKSSerializer(serializers.Serializer):
    keys = JWKSerializer(many=True, help_text="Every published key; more than one while a key is rotated.")


class SyncUploadOpSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["PUT", "PATCH", "DELETE"],
        help_text="PUT: the whole row (upsert); PATCH: the changed columns; DELETE: no data.",
    )
    table = serializers.ChoiceField(
        choices=list(SYNCED_TABLES),
        help_text="The client-side table. `type` (as in CrudEntry.toJSON()) is accepted instead.",
    )
    id = serializers.UUIDField(help_text="The row's id.")
    data = serializers.DictField(  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class
        required=False,
        allow_null=True,
        help_text="Column values as the client stores them: `data` may be the JSON text of an object, "
        "booleans may be 0/1, and NULL stands for a column's default.",
    )


class SyncUploadSerializer(serializers.Serializer):
    batch = SyncUploadOpSerializer(many=True, help_text="The CRUD queue's operations, in order.")


class SyncOpErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="As the REST API answers: invalid, not_found, conflict.")
    message = serializers.CharField()
    fields = serializers.DictField(  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class
        required=False, help_text="Field errors (as the plans API gives them), for validation failures."
    )


class SyncOpResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the op in `batch`, from 0.")
    op = serializers.CharField(allow_null=True)
    table = serializers.CharField(allow_null=True)
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["applied", "rejected"],
        help_text="applied: the change is stored (or was already: a PATCH or DELETE of a row that is "
        "gone is an applied no-op). rejected: nothing of it was stored; `error` says why.",
    )
    error = SyncOpErrorSerializer(required=False, help_text="Why the op was rejected.")


class SyncUploadResponseSerializer(serializers.Serializer):
    results = SyncOpResultSerializer(many=True, help_text="One result per op, in order.")
    applied = serializers.IntegerField()
    rejected = serializers.IntegerField()
