from django.contrib import admin
from django.urls import include, path

from meetings.api import api

from . import health

admin.site.site_header = "CoP-F scheduler"
admin.site.site_title = "CoP-F admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("", include("members.urls")),
    path("", include("meetings.urls")),
]
