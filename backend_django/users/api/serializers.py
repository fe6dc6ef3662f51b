from allauth.account.adapter import get_adapter
from dj_rest_auth.registration.serializers import RegisterSerializer as BaseRegisterSerializer
from dj_rest_auth.serializers import LoginSerializer as BaseLoginSerializer
from dj_rest_auth.serializers import PasswordChangeSerializer as BasePasswordChangeSerializer
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers

from backend_django.core.api.fields import StrictCharField, StrictModelSerializer
from backend_django.users.models import User


class UserSerializer(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "units", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]


class AccountDeleteSerializer(serializers.Serializer):
    password = StrictCharField(
        write_only=True, trim_whitespace=False, help_text="Your current password, to confirm."
    )


class ExportedAccountSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()
    units = serializers.CharField()
    date_joined = serializers.DateTimeField()


class ExportedPlanSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    address = serializers.CharField()
    timezone = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class
    beds = serializers.DictField(help_text="The plan's beds (GeoJSON FeatureCollection).")
    archived = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AccountExportSerializer(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    account = ExportedAccountSerializer()
    plans = ExportedPlanSerializer(many=True, help_text="Every plan, archived ones too, oldest first.")


class CsrfSerializer(serializers.Serializer):
    csrf_token = serializers.CharField()


class LoginSerializer(BaseLoginSerializer):
    """Email + password login that counts failures.

    dj-rest-auth calls Django's ``authenticate()`` directly, which skips
    allauth's failed-login limits. Going through the allauth adapter applies
    them (users/adapters.py: per client IP and account, per account, per
    client IP); over a limit the API answers 429.
    """

    username = None
    email = serializers.EmailField()

    def authenticate(self, **credentials):
        request = self.context["request"]
        django_request = getattr(request, "_request", request)
        try:
            return get_adapter(django_request).authenticate(django_request, **credentials)
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "too_many_login_attempts":
                raise exceptions.Throttled(
                    detail="Too many failed login attempts. Try again later.",
                ) from exc
            raise


class RegisterSerializer(BaseRegisterSerializer):
    username = None
    name = StrictCharField(max_length=150, required=False, allow_blank=True)

    def validate_email(self, email: str) -> str:
        # dj-rest-auth refuses a verified address here (400), which tells that it
        # has an account; users.services.user_register handles an existing one.
        return get_adapter().clean_email(email)

    def custom_signup(self, request, user) -> None:
        name = self.validated_data.get("name", "")
        if name:
            user.name = name
            user.save(update_fields=["name"])


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ApiTokenSerializer(serializers.Serializer):
    """An API token: send it as ``Authorization: Token <key>``."""

    key = serializers.CharField(help_text="Shown once; the server keeps only a hash of it.")
    expiry = serializers.DateTimeField(
        allow_null=True,
        help_text="When the token ends unless used before: each use moves it on (up to a maximum age).",
    )


class PasswordChangeResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    key = serializers.CharField(
        required=False,
        help_text="A token-authenticated change ends every token of the account and answers with a new one.",
    )
    expiry = serializers.DateTimeField(required=False, allow_null=True)


class PasswordChangeSerializer(BasePasswordChangeSerializer):
    """Saving the password ends every API token of the account (User.save)."""

    def save(self) -> None:
        # Only a session is kept signed in (with a new key); dj-rest-auth would
        # also start an empty session for a token client.
        self.set_password_form.save()
        if self.request.auth is None and self.request.user.is_authenticated:
            update_session_auth_hash(self.request, self.user)


class PasswordResetSerializer(serializers.Serializer):
    """Only the address: who has it is looked up by the worker that sends the email."""

    email = serializers.EmailField()


class EmailVerificationResendSerializer(serializers.Serializer):
    email = serializers.EmailField()
