"""Poll pages: the organizers' list, making a poll, voting and results, closing it, and
a guest confirming their address. (Being written: see issue 14.)"""

from django.http import HttpRequest, HttpResponse


def poll_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def poll_new(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def poll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def poll_vote(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def poll_close(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def poll_confirm(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    raise NotImplementedError
