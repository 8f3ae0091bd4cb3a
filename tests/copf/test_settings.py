import importlib
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

import copf.settings


@pytest.fixture
def load_settings(monkeypatch):
    """Import the settings module afresh under the given environment."""

    def load(**env: str):
        for key in (
            "DEBUG",
            "SITE_URL",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "EMAIL_URL",
        ):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return importlib.reload(copf.settings)

    yield load
    monkeypatch.undo()
    importlib.reload(copf.settings)


def test_an_https_site_url_switches_on_the_https_only_settings(load_settings):
    settings = load_settings(SITE_URL="https://copf.example.org", DEBUG="0", SECRET_KEY="k" * 60)

    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SECURE_SSL_REDIRECT is True
    assert settings.SECURE_HSTS_SECONDS == 31536000
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings.ALLOWED_HOSTS == ["copf.example.org", "127.0.0.1", "localhost"]
    assert settings.CSRF_TRUSTED_ORIGINS == ["https://copf.example.org"]


def test_an_http_site_url_switches_them_off(load_settings):
    settings = load_settings(SITE_URL="http://127.0.0.1:8000")

    assert (settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT) == (False, False)
    assert settings.SECURE_HSTS_SECONDS == 0
    assert settings.SECURE_PROXY_SSL_HEADER is None


def test_defaults_to_sqlite_in_the_var_folder_and_mail_to_files(load_settings):
    settings = load_settings()

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert str(settings.DATABASES["default"]["NAME"]).endswith(os.path.join("var", "copf.sqlite3"))
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
    assert settings.REDIS_URL == "redis://127.0.0.1:6379/0"


def test_reads_database_and_email_urls(load_settings):
    settings = load_settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/copf", EMAIL_URL="smtp://127.0.0.1:1025"
    )

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert (settings.EMAIL_HOST, settings.EMAIL_PORT) == ("127.0.0.1", 1025)
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


def test_a_bad_boolean_fails_loudly(load_settings):
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG must be one of .*; not 'maybe'"):
        load_settings(DEBUG="maybe")


def test_debug_accepts_the_usual_words(load_settings):
    assert load_settings(DEBUG="off", SECRET_KEY="k" * 60).DEBUG is False
    assert load_settings(DEBUG="Yes").DEBUG is True
