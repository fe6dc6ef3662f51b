"""The account endpoints: dj-rest-auth's, with this project's rules.

A *browser* request (one that carries the CSRF cookie, or an ``Origin``
header, as browsers do) that would start a session must pass Django's CSRF
check like any other unsafe request of a session: a hostile page cannot sign
a visitor into someone else's account. Other clients get an API token
(knox) and no session, so nothing they send sets a cookie.
"""

from dj_rest_auth.registration.views import RegisterView as BaseRegisterView
from dj_rest_auth.registration.views import VerifyEmailView as BaseVerifyEmailView
from dj_rest_auth.views import LoginView as BaseLoginView
from dj_rest_auth.views import LogoutView as BaseLogoutView
from dj_rest_auth.views import PasswordChangeView as BasePasswordChangeView
from dj_rest_auth.views import PasswordResetConfirmView as BasePasswordResetConfirmView
from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import generics, status, views
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from backend_django.core.api.schema import ErrorSerializer
from backend_django.plans.api.report_views import account_zip
from backend_django.upstream.http.serializers import JobSerializer
from backend_django.users import services
from backend_django.users.api.auth import signed_in_user

from .serializers import (
    AccountDeleteSerializer,
    AccountExportSerializer,
    ApiTokenSerializer,
    CsrfSerializer,
    DetailSerializer,
    EmailVerificationResendSerializer,
    PasswordChangeResponseSerializer,
    PasswordResetSerializer,
    UserSerializer,
)


def is_browser_request(request: Request) -> bool:
    """Whether a request comes from a browser page (ours, or a hostile one)."""
    return settings.CSRF_COOKIE_NAME in request.COOKIES or "HTTP_ORIGIN" in request.META


def csrf_enforce(request: Request) -> None:
    """Django's CSRF check (token and origin), as for a session's unsafe request; 403 if it fails."""
    SessionAuthentication().enforce_csrf(request)


def token_response(issued: services.IssuedToken, **extra) -> dict:
    return {**extra, **ApiTokenSerializer(issued).data}


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user's own account."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


class AccountDeleteView(generics.GenericAPIView):
    """Delete the signed-in account and everything it owns, after the password is confirmed."""

    serializer_class = AccountDeleteSerializer

    @extend_schema(
        operation_id="users_me_delete",
        summary="Delete your account",
        description=(
            "Deletes the account with all its plans, API tokens and sessions, at once and for good. "
            "Send your current password to confirm: a wrong one is 400 and counts as a failed login "
            "(too many → 429). A session request needs `X-CSRFToken` like any other change."
        ),
        responses={204: OpenApiResponse(description="Deleted; the session has ended.")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in_user(request)
        if not services.user_password_confirm(
            request=request, user=user, password=serializer.validated_data["password"]
        ):
            raise ValidationError({"password": ["This is not your current password."]})
        if request.auth is None:  # signed in by session: end it
            django_logout(request._request)
        services.user_delete(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountExportZipView(views.APIView):
    """Everything the signed-in account holds, with each plan's files, as a zip."""

    @extend_schema(
        operation_id="users_me_export_zip",
        summary="Download your data with every plan's files (zip)",
        description=(
            "`account.json` and a folder per plan with what `plans/{id}/export/` gives (plan JSON, beds "
            "GeoJSON, sun GeoTIFF, calendar ICS, the report when built) and a README.txt with the "
            "licences. 202 with one job while some plan's climate or sun is not cached: poll it, then "
            "ask again."
        ),
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            202: OpenApiResponse(JobSerializer, description="Some plans' data is being fetched."),
            502: OpenApiResponse(ErrorSerializer, description="An upstream rejected the fetch recently."),
            503: OpenApiResponse(ErrorSerializer, description="The data cache is unavailable."),
        },
    )
    def get(self, request: Request) -> HttpResponse | Response:
        body = AccountExportSerializer(services.user_data_export(user=signed_in_user(request))).data
        exported_at = timezone.now()
        return account_zip(request, account=dict(body["account"]), exported_at=exported_at)


class AccountExportView(views.APIView):
    """Everything the signed-in account holds, as a JSON file to download."""

    @extend_schema(
        operation_id="users_me_export",
        summary="Download your data",
        description="Your account and every plan (archived ones too), as one JSON file.",
        responses={200: AccountExportSerializer},
    )
    def get(self, request: Request) -> Response:
        body = AccountExportSerializer(services.user_data_export(user=signed_in_user(request))).data
        filename = f"solar-sim-data-{body['exported_at'][:10]}.json"
        return Response(
            body,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )


class CsrfView(views.APIView):
    """Sets the ``csrftoken`` cookie; the browser app sends it back as X-CSRFToken."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: CsrfSerializer})
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})


class LoginView(BaseLoginView):
    @extend_schema(
        summary="Log in with email and password",
        description=(
            "A browser page (the request carries the CSRF cookie or an `Origin` header) must send "
            "`X-CSRFToken`; it gets a session cookie and 204. Any other client gets an API token "
            "(200) for `Authorization: Token <key>`, and no session. Failed attempts are limited per "
            "client and account, per account and per client (429 past a limit)."
        ),
        responses={
            200: ApiTokenSerializer,
            204: OpenApiResponse(description="Signed in: the session cookie is set."),
        },
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        browser = is_browser_request(request)
        if browser:
            csrf_enforce(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if browser:
            django_login(request._request, user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        # What django_login would signal (last_login, among others), without a session.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(token_response(services.api_token_create(user=user)))


class LogoutView(BaseLogoutView):
    http_method_names = ["post", "options"]

    @extend_schema(
        summary="Log out",
        description="Ends the session, or the API token the request was made with.",
        request=None,
        responses={200: DetailSerializer},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        return self.logout(request)

    def logout(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        django_logout(request._request)
        return Response({"detail": "Successfully logged out."})


class RegisterView(BaseRegisterView):
    @extend_schema(
        summary="Create an account",
        description=(
            "Answers 201 whether or not the address already has an account (its owner then gets an "
            "email saying someone tried). The address is confirmed through the emailed link "
            "(`verify-email/`); where verification is optional, a browser registration is signed "
            "in by session at once. A browser page must send `X-CSRFToken`."
        ),
        responses={201: DetailSerializer},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        browser = is_browser_request(request)
        if browser:
            csrf_enforce(request)
        services.account_rate_limit_consume(request=request, action="signup", key="")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_register(request=request._request, serializer=serializer, sign_in=browser)
        return Response(
            {"detail": "Check your inbox: we sent a message to this address."},
            status=status.HTTP_201_CREATED,
        )


class VerifyEmailView(BaseVerifyEmailView):
    @extend_schema(
        summary="Confirm an email address with the key from the emailed link",
        responses={
            200: DetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such key (or it has expired)."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class EmailVerificationResendView(generics.GenericAPIView):
    """Another confirmation link for an address that waits for one."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = EmailVerificationResendSerializer

    @extend_schema(
        summary="Send the confirmation link again",
        description="Answers the same whether or not the address has an account waiting for confirmation.",
        responses={200: DetailSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verification_request(request=request, email=serializer.validated_data["email"])
        return Response({"detail": "If this address waits for confirmation, a new link is on its way."})


class PasswordResetView(generics.GenericAPIView):
    """Email a password-reset link (from the worker) to the account with this address."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PasswordResetSerializer

    @extend_schema(
        summary="Email a password-reset link",
        description=(
            "Answers the same, after the same work, whether or not the address has an account; the "
            "email (if any) is sent by a worker. Limited per address and per client."
        ),
        responses={200: DetailSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(request=request, email=serializer.validated_data["email"])
        return Response({"detail": "If this address has an account, a reset link is on its way."})


class PasswordResetConfirmView(BasePasswordResetConfirmView):
    @extend_schema(
        summary="Set a new password with the emailed uid and token",
        description="Ends every session and API token of the account.",
        responses={200: DetailSerializer},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class PasswordChangeView(BasePasswordChangeView):
    @extend_schema(
        summary="Change your password",
        description=(
            "Ends every other session and every API token of the account. A session stays signed "
            "in; a token-authenticated change answers with the new token that replaces it."
        ),
        responses={200: PasswordChangeResponseSerializer},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        detail = "New password has been saved."
        if isinstance(request.auth, AuthToken):
            issued = services.api_token_create(user=signed_in_user(request))
            return Response(token_response(issued, detail=detail))
        return Response({"detail": detail})
