from django.urls import include, path, re_path
from django.views.generic import TemplateView

from .views import CsrfView, MeView

auth_urlpatterns = [
    path("csrf/", CsrfView.as_view(), name="csrf"),
    path("registration/", include("dj_rest_auth.registration.urls")),
    # dj-rest-auth's password reset needs this name to exist; the emailed link
    # goes to the browser app instead (see FRONTEND_URL).
    re_path(
        r"^password/reset/confirm/(?P<uidb64>[0-9A-Za-z]+)-(?P<token>.+)/$",
        TemplateView.as_view(),
        name="password_reset_confirm",
    ),
    path("", include("dj_rest_auth.urls")),
]

urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    re_path(r"^users/me/?$", MeView.as_view(), name="users-me"),
]
