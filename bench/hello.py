"""The baseline for bench/pages.py: one Django view that says hello, on the project's own
settings (same middleware, same database, same gunicorn config), so a ratio to it measures
what a page costs beyond Django itself. Serve with `gunicorn bench.hello:application`."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copf.settings")
settings.ROOT_URLCONF = __name__


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello", content_type="text/plain")


urlpatterns = [path("", hello)]

application = get_wsgi_application()
