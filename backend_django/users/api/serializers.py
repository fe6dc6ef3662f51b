from allauth.account.adapter import get_adapter
from allauth.account.utils import user_pk_to_url_str
from dj_rest_auth.registration.serializers import RegisterSerializer as BaseRegisterSerializer
from dj_rest_auth.serializers import LoginSerializer as BaseLoginSerializer
from dj_rest_auth.serializers import PasswordResetSerializer as BasePasswordResetSerializer
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers

from backend_django.users.models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]


class CsrfSerializer(serializers.Serializer):
    csrf_token = serializers.CharField()


class LoginSerializer(BaseLoginSerializer):
    """Email + password login that counts failures.

    dj-rest-auth calls Django's ``authenticate()`` directly, which skips
    allauth's failed-login limit. Going through the allauth adapter applies it
    (``ACCOUNT_RATE_LIMITS["login_failed"]``: per client IP and per account);
    over the limit the API answers 429.
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
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def custom_signup(self, request, user) -> None:
        name = self.validated_data.get("name", "")
        if name:
            user.name = name
            user.save(update_fields=["name"])


def frontend_password_reset_url(request, user, temp_key: str) -> str:
    """The browser app's page that posts to auth/password/reset/confirm/."""
    return f"{settings.FRONTEND_URL}/reset-password?uid={user_pk_to_url_str(user)}&token={temp_key}"


class PasswordResetSerializer(BasePasswordResetSerializer):
    def get_email_options(self) -> dict:
        return {"url_generator": frontend_password_reset_url}
