import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_form_without_its_csrf_token_gets_our_own_403_page():
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")

    response = client.post("/accounts/login/", {"login": "a@example.org", "password": "x"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "We could not accept that form" in html
    assert "The form was open for too long" in html
    assert "<style" not in html
    assert 'href="/static/css/site.css"' in html
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_a_browser_that_sent_no_cookie_is_told_to_allow_cookies():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "a"})

    assert response.status_code == 403
    assert "Allow cookies for this site" in response.content.decode()
