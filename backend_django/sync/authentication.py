"""DRF authentication by a sync token: ``Authorization: Bearer <jwt>``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from backend_django.users.models import User

from .tokens import SyncTokenInvalid, sync_token_verify


class SyncTokenFailed(exceptions.AuthenticationFailed):
    default_code = "token_invalid"


class SyncTokenAuthentication(BaseAuthentication):
    """Accepts the JWTs of sync/token/; other schemes are left to the next authenticator."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise SyncTokenFailed(_("Invalid Bearer header: expected 'Bearer <token>'."))
        try:
            token = parts[1].decode("ascii")
            claims = sync_token_verify(token=token)
        except UnicodeError:
            raise SyncTokenFailed(_("The sync token is malformed.")) from None
        except SyncTokenInvalid as exc:
            raise SyncTokenFailed(exc.message, code=exc.code) from exc
        user = None
        if claims["sub"].isdigit():
            user = User.objects.filter(pk=claims["sub"], is_active=True).first()
        if user is None:
            raise SyncTokenFailed(_("The sync token's user does not exist or is inactive."))
        return user, claims

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
