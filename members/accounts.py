"""Our hooks into django-allauth (`ACCOUNT_ADAPTER`, `ACCOUNT_FORMS` in settings), and
the admin's log-in, which goes through allauth too.

Every form where people type an e-mail address refuses one longer than the user table
holds. allauth itself would cut it to fit, losing the domain, and a second such sign-up
would then break the unique constraint.
"""

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator

from .models import User

validate_email_length = MaxLengthValidator(User._meta.get_field("email").max_length)


class AccountAdapter(DefaultAccountAdapter):
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
