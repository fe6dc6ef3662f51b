from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import generics, views
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .serializers import CsrfSerializer, UserSerializer


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user's own account."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


class CsrfView(views.APIView):
    """Sets the ``csrftoken`` cookie; the browser app sends it back as X-CSRFToken."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=CsrfSerializer)
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})
