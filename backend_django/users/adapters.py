from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Links in account emails point at the browser app, not at Django."""

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return f"{settings.FRONTEND_URL}/verify-email?key={emailconfirmation.key}"
