from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser

from members.practice import access, roles
from tests.factories import UserFactory

from .support import START, east, meeting_of, member, organizer


@pytest.mark.django_db
class TestIsOrganizer:
    def test_a_member_of_the_organizers_group_is_an_organizer(self):
        assert access.is_organizer(organizer()) is True

    def test_a_superuser_is_an_organizer(self):
        assert access.is_organizer(UserFactory(is_superuser=True)) is True

    def test_staff_without_the_organizers_group_is_one_too(self):
        assert access.is_organizer(member("Sam", is_staff=True)) is True

    def test_a_member_is_not(self):
        assert access.is_organizer(member("Asha")) is False

    def test_a_closed_account_is_not(self):
        olu = organizer()
        olu.is_active = False
        olu.save()

        assert access.is_organizer(olu) is False

    def test_a_visitor_is_not(self):
        assert access.is_organizer(AnonymousUser()) is False


@pytest.mark.django_db
class TestIsMember:
    def test_a_member_with_a_confirmed_address_takes_part(self):
        assert access.is_member(member("Asha")) is True

    def test_a_member_who_has_not_confirmed_their_address_does_not(self):
        assert access.is_member(member("Asha", verified=False)) is False

    def test_a_confirmed_address_other_than_the_login_does_not_count(self):
        asha = member("Asha", verified=False)
        EmailAddress.objects.create(user=asha, email="asha@work.example.org", verified=True)

        assert access.is_member(asha) is False

    def test_a_closed_account_does_not(self):
        assert access.is_member(member("Asha", is_active=False)) is False

    def test_a_visitor_does_not(self):
        assert access.is_member(AnonymousUser()) is False


@pytest.mark.django_db
class TestHeldRoles:
    def test_the_roles_a_member_holds_in_the_meeting(self):
        series = east()
        meeting, other = meeting_of(series), meeting_of(series, START + timedelta(days=28))
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        roles.take_role(user=asha, meeting=meeting, role="host")

        assert access.held_roles(user=asha, meeting=meeting) == {"facilitator", "host"}
        assert access.held_roles(user=asha, meeting=other) == set()

    def test_a_visitor_holds_none(self):
        assert access.held_roles(user=AnonymousUser(), meeting=meeting_of(east())) == set()


@pytest.mark.django_db
class TestMayRunAgenda:
    def test_the_facilitator_may(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert access.may_run_agenda(user=asha, meeting=meeting) is True

    def test_an_organizer_may_without_a_role(self):
        assert access.may_run_agenda(user=organizer(), meeting=meeting_of(east())) is True

    @pytest.mark.parametrize("role", ["co-facilitator", "timekeeper", "harvester", "host"])
    def test_other_role_holders_may_not(self, role):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role=role)

        assert access.may_run_agenda(user=asha, meeting=meeting) is False

    def test_the_facilitator_of_another_meeting_may_not(self):
        series = east()
        meeting = meeting_of(series)
        asha = member("Asha")
        other = meeting_of(series, START + timedelta(days=28))
        roles.take_role(user=asha, meeting=other, role="facilitator")

        assert access.may_run_agenda(user=asha, meeting=meeting) is False

    def test_a_facilitator_whose_address_is_no_longer_confirmed_may_not(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        EmailAddress.objects.filter(user=asha).update(verified=False)

        assert access.may_run_agenda(user=asha, meeting=meeting) is False

    def test_the_roles_given_are_used_instead_of_asking_the_database(
        self, django_assert_num_queries
    ):
        meeting = meeting_of(east())
        asha = member("Asha")

        # The member's and their groups' permissions, the confirmed address: no roles query.
        with django_assert_num_queries(3):
            allowed = access.may_run_agenda(user=asha, meeting=meeting, roles={"facilitator"})

        assert allowed is True


@pytest.mark.django_db
class TestMayWriteHarvest:
    @pytest.mark.parametrize("role", ["harvester", "facilitator"])
    def test_the_harvester_and_the_facilitator_may(self, role):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role=role)

        assert access.may_write_harvest(user=asha, meeting=meeting) is True

    def test_an_organizer_may(self):
        assert access.may_write_harvest(user=organizer(), meeting=meeting_of(east())) is True

    @pytest.mark.parametrize("role", ["co-facilitator", "timekeeper", "host"])
    def test_other_role_holders_may_not(self, role):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role=role)

        assert access.may_write_harvest(user=asha, meeting=meeting) is False

    def test_a_member_without_a_role_may_not(self):
        assert access.may_write_harvest(user=member("Asha"), meeting=meeting_of(east())) is False
