from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Solar Sim administration"
admin.site.site_title = "Solar Sim admin"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("backend_django.config.api_router")),
]
