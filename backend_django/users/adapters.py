"""How django-allauth works in this project: links into the browser app, the
one client address, layered failed-login limits and emails sent by Celery."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from backend_django.core.client_ip import request_client_ip


def login_identifier(request, credentials: dict | None) -> str:
    """The account a login attempt names (lower-cased email), for django-axes."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or ""
    return str(value).strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    # Set by allauth's pre_authenticate (its limits per account and per client IP).
    _login_failed_rl_usage: ratelimit.RateLimitUsage

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """Links in account emails point at the browser app, not at Django."""
        return f"{settings.FRONTEND_URL}/verify-email?key={emailconfirmation.key}"

    def get_client_ip(self, request) -> str:
        return request_client_ip(request)

    def pre_authenticate(self, request, **credentials) -> None:
        """Refuse a login attempt over a failed-login limit, before the password is checked.

        In order: per (client IP, account), then allauth's own per account
        and per client IP. All count failed attempts only: a successful login
        takes its attempt back (``authenticate`` rolls the usage back).
        """
        login = login_identifier(request, credentials)
        pair = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_client_account",
            key=f"{self.get_client_ip(request)}|{login}",
        )
        if not pair:
            raise self.validation_error("too_many_login_attempts")
        try:
            super().pre_authenticate(request, **credentials)
        except Exception:
            pair.rollback()  # refused by the next limit: not a password attempt
            raise
        account_and_ip = self._login_failed_rl_usage
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(usage=[*pair.usage, *account_and_ip.usage])

    def send_account_already_exists_mail(self, email: str) -> None:
        """Someone tried to register an address that has an account: tell its owner."""
        self.send_mail(
            "account/email/account_already_exists",
            email,
            {
                "signup_url": f"{settings.FRONTEND_URL}/register",
                "password_reset_url": f"{settings.FRONTEND_URL}/forgot-password",
            },
        )

    def send_mail(self, template_prefix: str, email: str, context_data: dict) -> None:
        """Render now, send from a Celery worker after the transaction commits.

        During a request the SMTP round trip would make an answer's timing
        depend on whether an email was sent. Inside a worker (no request)
        the email goes out at once.
        """
        if context.request is None:
            super().send_mail(template_prefix, email, context_data)
            return
        from backend_django.users.services import email_message_send_later

        request = context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context_data}
        email_message_send_later(message=self.render_mail(template_prefix, email, ctx))
