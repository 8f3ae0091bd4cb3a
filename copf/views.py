"""Site-wide pages that belong to no app."""

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own CSRF page styles itself inline, which our CSP blocks; this is ours."""
    return render(
        request,
        "403_csrf.html",
        {"no_cookie": reason == REASON_NO_CSRF_COOKIE},
        status=403,
    )
