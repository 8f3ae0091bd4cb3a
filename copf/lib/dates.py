"""The dates people may enter: the years 1970 to 2200.

Python's dates end at the years 1 and 9999, and near either end the app's arithmetic
overflows: adding a meeting's length, converting to another zone, expanding a rule, or the
database adapter converting to UTC. Keeping every date people enter in this span keeps it
centuries from both ends, while covering any meeting a community plans (and every date since
the Unix epoch, before which some calendar apps misbehave).
"""

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_YEAR = 1970
LATEST_YEAR = 2200


def is_supported_date(value: date) -> bool:
    """Whether `value` falls in the span: a date or a naive date and time as it reads, an
    aware one by its UTC date, so that one instant is in or out whatever its zone."""
    if not EARLIEST_YEAR - 1 <= value.year <= LATEST_YEAR + 1:
        # Decided before converting to UTC, which could itself overflow this far out.
        return False
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def validate_supported_date(value: date) -> None:
    """A validator for model and form fields: ValidationError outside the span."""
    if is_supported_date(value):
        return
    if isinstance(value, datetime) and value.tzinfo is not None:
        message = _("Enter a time in the years %(earliest)d to %(latest)d (UTC).")
    else:
        message = _("Enter a date in the years %(earliest)d to %(latest)d.")
    raise ValidationError(
        message,
        code="unsupported_date",
        params={"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
    )
