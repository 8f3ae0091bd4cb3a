"""Admin helpers that belong to no app."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest

from .dates import EARLIEST_YEAR, LATEST_YEAR


class SupportedYearsDateHierarchyMixin:
    """A ModelAdmin whose date drill-down stays within the supported years.

    Django 5.2 answers a hand-typed `?starts_at__year=9999` with a 500, computing the year
    after it (Django ticket #37357); any year outside the span is an invalid lookup here,
    which the list answers by redirecting to `?e=1`.
    """

    date_hierarchy: str | None

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        if self.date_hierarchy:
            year = request.GET.get(f"{self.date_hierarchy}__year")
            if year is not None and not (
                year.isascii() and year.isdigit() and EARLIEST_YEAR <= int(year) <= LATEST_YEAR
            ):
                raise IncorrectLookupParameters(f"{year!r} is not a supported year.")
        return super().get_changelist_instance(request)
