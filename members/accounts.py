"""Our hooks into django-allauth (`ACCOUNT_ADAPTER`, `ACCOUNT_FORMS` in settings).

Every form where people type an e-mail address refuses one longer than the user table
holds. allauth itself would cut it to fit, losing the domain, and a second such sign-up
would then break the unique constraint.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from django.core.validators import MaxLengthValidator

from .models import User

validate_email_length = MaxLengthValidator(User._meta.get_field("email").max_length)


class AccountAdapter(DefaultAccountAdapter):
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
