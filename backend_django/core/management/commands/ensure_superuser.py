"""Create the superuser named by DJANGO_SUPERUSER_EMAIL / _PASSWORD if missing.

Run by scripts/bootstrap (and so by `make dev`) on every start; it does
nothing when the variables are unset or the account already exists.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the superuser from DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD."

    def handle(self, *args, **options) -> None:
        email = settings.DJANGO_SUPERUSER_EMAIL
        password = settings.DJANGO_SUPERUSER_PASSWORD
        if not email or not password:
            return
        User = get_user_model()
        if User.objects.filter(email__iexact=email).exists():
            return
        user = User.objects.create_superuser(email=email, password=password)
        # Its address is the operator's own: confirmed, so API login works even
        # where email verification is mandatory.
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        self.stdout.write(f"Created superuser {email}")
