from django.urls import re_path

from .views import SyncJWKSView, SyncTokenView, SyncUploadView

urlpatterns = [
    re_path(r"^sync/token/?$", SyncTokenView.as_view(), name="sync-token"),
    re_path(r"^sync/jwks/?$", SyncJWKSView.as_view(), name="sync-jwks"),
    re_path(r"^sync/upload/?$", SyncUploadView.as_view(), name="sync-upload"),
]
