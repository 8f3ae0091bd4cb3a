import pytest

from members.models import AgendaItem, HarvestObjection
from members.practice import BadInput, NotAllowed, PracticeRefused, validated

from .support import east, meeting_of, member


def test_refusals_carry_the_status_of_the_answer():
    assert (PracticeRefused.status, NotAllowed.status, BadInput.status) == (409, 403, 400)
    assert issubclass(NotAllowed, PracticeRefused)
    assert issubclass(BadInput, PracticeRefused)


@pytest.mark.django_db
class TestValidated:
    def item(self, **fields) -> AgendaItem:
        return AgendaItem(
            meeting=meeting_of(east()),
            proposer=member("Asha"),
            **{"title": "Check-in", "description": "", "minutes": 10, **fields},
        )

    def test_a_valid_row_passes(self):
        assert validated(self.item()) is None

    def test_a_text_field_longer_than_its_limit_is_refused_by_name(self):
        with pytest.raises(BadInput) as refused:
            validated(self.item(description="x" * 1001))

        assert str(refused.value) == "Description is longer than 1000 characters."

    def test_every_problem_is_told_at_once_text_lengths_first(self):
        with pytest.raises(BadInput) as refused:
            validated(self.item(title="", description="x" * 1001, minutes=0))

        assert str(refused.value) == (
            "Description is longer than 1000 characters. This field cannot be blank. "
            "Ensure this value is greater than or equal to 1."
        )

    def test_excluded_fields_are_not_checked(self):
        item = AgendaItem(title="Check-in", minutes=10)

        assert validated(item, exclude=("meeting", "proposer")) is None

    def test_text_fields_of_other_rows_are_checked_too(self):
        objection = HarvestObjection(objection="x" * 2001, integration="y" * 2001)

        with pytest.raises(BadInput) as refused:
            validated(objection, exclude=("decision",))

        assert str(refused.value) == (
            "Objection is longer than 2000 characters. "
            "How it was integrated is longer than 2000 characters."
        )
