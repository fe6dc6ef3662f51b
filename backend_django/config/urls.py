from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from backend_django.users.api.urls import unnamespaced_urlpatterns

admin.site.site_header = "Solar Sim administration"
admin.site.site_title = "Solar Sim admin"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/auth/", include(unnamespaced_urlpatterns)),
    path("api/v1/", include("backend_django.config.api_router")),
]

# Under /api/ every error is JSON in the one error shape; elsewhere (the
# admin) Django's own pages.
handler400 = "backend_django.core.api.views.bad_request"
handler404 = "backend_django.core.api.views.page_not_found"
handler500 = "backend_django.core.api.views.server_error"
