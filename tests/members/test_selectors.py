import pytest
from allauth.account.models import EmailAddress

from members import selectors
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class TestIsVerified:
    def test_member_without_an_email_address_row_is_not_verified(self, user):
        assert selectors.is_verified(user) is False

    def test_unverified_address_is_not_verified(self, user):
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

        assert selectors.is_verified(user) is False

    def test_verified_other_address_does_not_count(self, user):
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
        EmailAddress.objects.create(user=user, email="other@example.org", verified=True)

        assert selectors.is_verified(user) is False

    def test_someone_elses_verified_address_does_not_count(self, user):
        other = UserFactory()
        EmailAddress.objects.create(user=other, email=user.email.upper(), verified=True)

        assert selectors.is_verified(user) is False

    def test_verified_own_address_is_verified(self, user):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

        assert selectors.is_verified(user) is True

    def test_verified_address_matches_in_any_letter_case(self, user):
        EmailAddress.objects.create(user=user, email=user.email.upper(), verified=True)

        assert selectors.is_verified(user) is True
