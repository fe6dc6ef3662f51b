"""Clients that behave like the browser app or like an API client."""

from rest_framework.test import APIClient


class BrowserClient(APIClient):
    """A browser page of the app: CSRF enforced, the cookie fetched from auth/csrf/,
    and ``X-CSRFToken`` sent on unsafe requests (as frontend_svelte's client does)."""

    def __init__(self, **defaults):
        super().__init__(enforce_csrf_checks=True, **defaults)
        self.get("/api/v1/auth/csrf/")

    def _csrf(self, extra: dict) -> dict:
        return {"HTTP_X_CSRFTOKEN": self.cookies["csrftoken"].value, **extra}

    def post(self, path, data=None, format="json", **extra):
        return super().post(path, data, format=format, **self._csrf(extra))

    def patch(self, path, data=None, format="json", **extra):
        return super().patch(path, data, format=format, **self._csrf(extra))


def token_client(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")
