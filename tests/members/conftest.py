import pytest
import time_machine

from tests.members.deliveries.support import FROM, NOW, SITE, FailingBackend


@pytest.fixture
def mail_settings(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def clock():
    """Frozen a week before CoP-F East of 11 January 2027."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp_fails(settings, monkeypatch):
    """Call with the exception the SMTP server should raise from now on."""

    def fail_with(error: Exception) -> None:
        settings.EMAIL_BACKEND = "tests.members.deliveries.support.FailingBackend"
        monkeypatch.setattr(FailingBackend, "error", error)

    return fail_with
