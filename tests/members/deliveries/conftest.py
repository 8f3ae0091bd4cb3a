import pytest


@pytest.fixture(autouse=True)
def delivery_settings(mail_settings, clock):
    """Every delivery test runs on the fixed calendar, with mail kept in memory."""
