from allauth.core import context as allauth_context
from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from copf.lib.dates import validate_supported_date
from copf.lib.timezones import TimezoneNameField

from .models import Rsvp, User


class SignupForm(forms.Form):
    """The extra sign-up fields; allauth's own form adds e-mail and password."""

    # allauth builds its form on this one and applies this order after adding its fields.
    field_order = ("display_name", "email", "password1", "password2", "timezone")

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("How other members see you, e.g. your first name."),
    )
    timezone = TimezoneNameField(
        help_text=_("Filled in from your browser; change it if it's wrong.")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # allauth builds this form without the request; its middleware keeps it at hand.
        viewer = getattr(getattr(allauth_context, "request", None), "viewer_timezone", None)
        self.fields["timezone"].initial = viewer.name if viewer else "UTC"

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["display_name", "timezone"])


class ProfileForm(forms.ModelForm):
    timezone = TimezoneNameField()

    class Meta:
        model = User
        fields = (
            "display_name",
            "timezone",
            "reminders_enabled",
            "remind_day_before",
            "remind_hour_before",
            "remind_followed_series",
            "notify_extra_meetings",
            "nudge_open_roles",
            "receive_harvests",
            "email_enabled",
            "calendar_alert_minutes",
        )


class RsvpForm(forms.Form):
    response = forms.ChoiceField(
        choices=Rsvp.Response.choices,
        error_messages={"invalid_choice": "Answer yes, maybe or no."},
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.CharField(
        label="Type DELETE to confirm",
        help_text="Your account and all your answers are deleted at once. This cannot be undone.",
    )

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value.strip() != "DELETE":
            raise forms.ValidationError("Type DELETE in capitals to confirm.")
        return value


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "display_name", "timezone")


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Django's own fields, typed only here: a date at the edge of the calendar would
        # overflow when the database adapter converts it to UTC.
        for name in ("last_login", "date_joined"):
            self.fields[name].validators.append(validate_supported_date)


class ZoneAnswer(models.TextChoices):
    """What a member answers the zone banner about the zone their device is in."""

    PROFILE = "profile", _("Make it my profile's time zone")
    VISIT = "visit", _("Show times there for this visit")
    KEEP = "keep", _("Keep my profile's time zone")


class TimezoneAnswerForm(forms.Form):
    timezone = TimezoneNameField()
    # Without one, the zone becomes the profile's ("Update my profile").
    action = forms.ChoiceField(choices=ZoneAnswer.choices, required=False)
