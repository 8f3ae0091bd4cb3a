"""Our hooks into django-allauth (`ACCOUNT_ADAPTER`, `ACCOUNT_FORMS` in settings), and
the admin's log-in, which goes through allauth too.

Every form where people type an e-mail address refuses one longer than the user table
holds. allauth itself would cut it to fit, losing the domain, and a second such sign-up
would then break the unique constraint.
"""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from meetings.models import Meeting

from . import selectors, services
from .models import Rsvp, User

validate_email_length = MaxLengthValidator(User._meta.get_field("email").max_length)


# A visitor's answer, kept in their session while they log in or sign up.
HELD_ANSWER_KEY = "held_answer"


def remember_answer(request: HttpRequest, *, meeting: Meeting, response: str) -> None:
    request.session[HELD_ANSWER_KEY] = {"meeting": meeting.pk, "response": response}


def hold_remembered_answer(request: HttpRequest, user: User) -> None:
    """Move a visitor's answer from the session onto the member, so that it survives
    confirming the address in another browser."""
    held = request.session.pop(HELD_ANSWER_KEY, None)
    if not isinstance(held, dict) or held.get("response") not in Rsvp.Response.values:
        return
    meeting = Meeting.objects.filter(pk=held.get("meeting")).first()
    if meeting is not None:
        services.hold_answer(user=user, meeting=meeting, response=held["response"])


def apply_held_answer(request: HttpRequest, user: User) -> Meeting | None:
    """Record the member's held answer and say so; the meeting it was for, if any."""
    held = services.apply_held_answer(user=user)
    if held is None:
        return None
    if held.result is not None:
        messages.success(
            request,
            _("%(title)s: %(answer)s")
            % {"title": held.meeting.title, "answer": selectors.rsvp_message(held.result.rsvp)},
        )
    else:
        messages.error(request, held.refusal)
    return held.meeting


class AccountAdapter(DefaultAccountAdapter):
    """Besides checking addresses, carries a visitor's answer through log-in, sign-up and
    confirming the address, and brings them back to the meeting they answered."""

    def pre_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse | None:
        response = super().pre_login(request, user, **kwargs)
        if response is None:
            hold_remembered_answer(request, user)
        return response

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse:
        if selectors.is_verified(user):
            apply_held_answer(request, user)
        return super().post_login(request, user, **kwargs)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            request.answered_meeting = apply_held_answer(request, email_address.user)
        return confirmed

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        meeting = getattr(self.request, "answered_meeting", None)
        if meeting is None:
            return super().get_email_verification_redirect_url(email_address)
        if self.request.user.is_authenticated:
            return meeting.get_absolute_url()
        # Confirmed in another browser than the one that signed up: log in here first.
        return f"{reverse('account_login')}?{urlencode({'next': meeting.get_absolute_url()})}"

    def is_safe_url(self, url: str) -> bool:
        # allauth parses `next` itself, and a malformed URL (`http://[`) raises.
        try:
            return super().is_safe_url(url)
        except ValueError:
            return False

    def clean_email(self, email: str) -> str:
        # Sign-up, adding an address and password reset all ask this.
        validate_email_length(email)
        return super().clean_email(email)


class LoginForm(AllauthLoginForm):
    def clean_login(self) -> str:
        # The one form with an address that does not ask the adapter's clean_email.
        login = super().clean_login()
        validate_email_length(login)
        return login


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's log-in, checked by allauth like the site's, so wrong passwords count
    against the same limits (per address and per client address) in either place."""

    def clean(self) -> dict[str, object]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
