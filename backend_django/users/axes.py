"""django-axes for the Django admin only.

API logins have their own layered limits (users/adapters.py); this handler
keeps axes's records and lockouts to the admin login, so a failed API login
neither writes an axes record nor gets axes's lockout page.
"""

from axes.handlers.database import AxesDatabaseHandler


class AdminLoginAxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            super().user_logged_out(sender, request, user, **kwargs)
