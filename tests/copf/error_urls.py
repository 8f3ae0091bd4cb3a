"""The site's URLs plus views that fail on purpose, for the error-page tests
(`@pytest.mark.urls("tests.copf.error_urls")`)."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from copf.urls import urlpatterns as site_urlpatterns


def bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("a test asked for it")


def permission_denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("a test asked for it")


def server_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a test asked for it")


urlpatterns = [
    path("fail/400/", bad_request),
    path("fail/403/", permission_denied),
    path("fail/500/", server_error),
    *site_urlpatterns,
]
