"""The signed-in user of a request, typed as the ``User`` the services take."""

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from backend_django.users.models import User


def signed_in_user(request: Request | HttpRequest) -> User:
    """``request.user`` in a view that requires authentication (IsAuthenticated,
    the default permission): never the anonymous user."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
