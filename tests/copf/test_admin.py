from django.contrib.auth.models import Group

from tests.factories import UserFactory

HUGE_ID = str(10**30)


def test_a_group_with_an_id_no_column_holds_is_a_form_error(client, staff):
    client.force_login(staff)

    response = client.post("/admin/auth/group/add/", {"name": "Hosts", "permissions": HUGE_ID})

    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert not Group.objects.filter(name="Hosts").exists()


def test_a_member_put_in_a_group_no_column_holds_is_a_form_error(client, staff):
    member = UserFactory()
    client.force_login(staff)

    response = client.post(
        f"/admin/members/user/{member.pk}/change/",
        {
            "email": member.email,
            "display_name": member.display_name,
            "timezone": "UTC",
            "is_active": "on",
            "groups": HUGE_ID,
            "date_joined_0": "2026-01-05",
            "date_joined_1": "10:00",
        },
    )

    member.refresh_from_db()
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert list(member.groups.all()) == []
