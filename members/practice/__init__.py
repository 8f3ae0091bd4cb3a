"""The practice in each meeting: roles that rotate (`roles`), an agenda members shape
(`agenda`) and a harvest that keeps what was learnt (`harvests`); who may do what
(`access`)."""

from django.core.exceptions import ValidationError
from django.db.models import Model, TextField
from django.utils.text import capfirst
from django.utils.translation import gettext as _


class PracticeRefused(Exception):
    """Something we cannot do; the message is fit to show to the member."""

    status = 409


class NotAllowed(PracticeRefused):
    """The member may not do this."""

    status = 403


class BadInput(PracticeRefused):
    """What was asked does not exist or makes no sense."""

    status = 400


def validated(instance: Model, *, exclude: tuple[str, ...] = ()) -> None:
    """Check a row before it is saved, as a refusal fit to show: its fields' own rules,
    and the length of text fields, which Django checks only in forms."""
    errors = [
        _("%(field)s is longer than %(limit)s characters.")
        % {"field": capfirst(field.verbose_name), "limit": field.max_length}
        for field in instance._meta.concrete_fields
        if isinstance(field, TextField)
        and field.max_length
        and len(getattr(instance, field.attname) or "") > field.max_length
    ]
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        errors += error.messages
    if errors:
        raise BadInput(" ".join(errors))
