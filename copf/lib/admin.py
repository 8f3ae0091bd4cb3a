"""Admin helpers that belong to no app."""

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
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


# The largest primary key a database column can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class BoundedIdsChoiceField(forms.ModelMultipleChoiceField):
    """A many-to-many choice that refuses an id no column can hold before it reaches the
    database: SQLite raises OverflowError for one in an `IN (…)` list (Django guards a
    plain `=` lookup, not `IN`)."""

    def clean(self, value: object) -> object:
        for pk in value if isinstance(value, list | tuple) else []:
            text = str(pk).strip()
            digits = text.lstrip("+-")
            if digits.isascii() and digits.isdigit() and int(digits) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text[:30]},
                )
        return super().clean(value)


class BoundedIdsMixin:
    """A ModelAdmin whose many-to-many fields are `BoundedIdsChoiceField`s."""

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: object
    ) -> forms.Field | None:
        kwargs.setdefault("form_class", BoundedIdsChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
