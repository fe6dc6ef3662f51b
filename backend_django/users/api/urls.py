from dj_rest_auth.views import UserDetailsView
from django.urls import include, path, re_path

from backend_django.core.api.views import not_found

from .views import (
    AccountDeleteView,
    AccountExportView,
    AccountExportZipView,
    CsrfView,
    EmailVerificationResendView,
    LoginView,
    LogoutView,
    MeView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
    RegisterView,
    VerifyEmailView,
)

# Names allauth and dj-rest-auth reverse (outside the "api" namespace) while
# building emails or redirects; the pages themselves live in the browser app
# (FRONTEND_URL), so these only answer 404. config/urls.py includes them.
unnamespaced_urlpatterns = [
    re_path(r"^account-confirm-email/(?P<key>[-:\w]+)/$", not_found, name="account_confirm_email"),
    re_path(r"^account-email-verification-sent/?$", not_found, name="account_email_verification_sent"),
    re_path(
        r"^password/reset/confirm/(?P<uidb64>[0-9A-Za-z]+)-(?P<token>.+)/$",
        not_found,
        name="password_reset_confirm",
    ),
]

auth_urlpatterns = [
    re_path(r"^csrf/?$", CsrfView.as_view(), name="csrf"),
    re_path(r"^login/?$", LoginView.as_view(), name="rest_login"),
    re_path(r"^logout/?$", LogoutView.as_view(), name="rest_logout"),
    re_path(r"^user/?$", UserDetailsView.as_view(), name="rest_user_details"),
    re_path(r"^password/change/?$", PasswordChangeView.as_view(), name="rest_password_change"),
    re_path(r"^password/reset/?$", PasswordResetView.as_view(), name="rest_password_reset"),
    re_path(
        r"^password/reset/confirm/?$", PasswordResetConfirmView.as_view(), name="rest_password_reset_confirm"
    ),
    re_path(r"^registration/?$", RegisterView.as_view(), name="rest_register"),
    re_path(r"^registration/verify-email/?$", VerifyEmailView.as_view(), name="rest_verify_email"),
    re_path(
        r"^registration/resend-email/?$", EmailVerificationResendView.as_view(), name="rest_resend_email"
    ),
]

urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    re_path(r"^users/me/?$", MeView.as_view(), name="users-me"),
    re_path(r"^users/me/delete/?$", AccountDeleteView.as_view(), name="users-me-delete"),
    re_path(r"^users/me/export/?$", AccountExportView.as_view(), name="users-me-export"),
    re_path(r"^users/me/export\.zip$", AccountExportZipView.as_view(), name="users-me-export-zip"),
]
