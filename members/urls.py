from django.urls import path, re_path

from . import insights_views, views
from .polls import views as polls
from .practice import attendance_views, harvest_views, rota
from .practice import views as practice

app_name = "members"

urlpatterns = [
    path("meetings/<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("meetings/<int:pk>/rsvp/<str:response>/", views.rsvp_start, name="rsvp_start"),
    path("series/<slug:slug>/follow/", views.follow, name="follow"),
    path("me/", views.profile, name="profile"),
    path("me/data.json", views.export, name="export"),
    path("me/delete/", views.delete_account, name="delete_account"),
    path("me/feed/rotate/", views.rotate_feed, name="rotate_feed"),
    # Only what `new_feed_token` can make: anything else is a 404 before the database,
    # which would refuse some of it (PostgreSQL and a NUL) with an error.
    re_path(
        r"^feeds/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", views.personal_feed, name="personal_feed"
    ),
    path("rsvp/<str:token>/", views.rsvp_link, name="rsvp_link"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("me/timezone/", views.set_timezone, name="set_timezone"),
    path("insights/", insights_views.insights, name="insights"),
    # The practice in a meeting: roles and agenda.
    path("roles/<str:token>/", practice.take_role_link, name="take_role_link"),
    path("meetings/<int:pk>/roles/take/", practice.take_role, name="take_role"),
    path("meetings/<int:pk>/roles/give-back/", practice.give_back_role, name="give_back_role"),
    path("meetings/<int:pk>/roles/assign/", practice.assign_role, name="assign_role"),
    path("meetings/<int:pk>/roles/unassign/", practice.unassign_role, name="unassign_role"),
    path("meetings/<int:pk>/agenda/", practice.propose_item, name="propose_item"),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/decide/", practice.decide_item, name="decide_item"
    ),
    path("meetings/<int:pk>/agenda/<int:item_pk>/move/", practice.move_item, name="move_item"),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/withdraw/",
        practice.withdraw_item,
        name="withdraw_item",
    ),
    # Attendance: the join link, marking who came, the CSV for organizers.
    path("meetings/<int:pk>/join/", attendance_views.join, name="join"),
    path("join/<str:token>/", attendance_views.join_link, name="join_link"),
    path("meetings/<int:pk>/attendance/mark/", attendance_views.mark, name="mark_attendance"),
    path(
        "meetings/<int:pk>/attendance/i-was-there/",
        attendance_views.i_was_there,
        name="i_was_there",
    ),
    path(
        "meetings/<int:pk>/attendance.csv",
        attendance_views.attendance_csv,
        name="attendance_csv",
    ),
    path("series/<slug:slug>/rota/", rota.rota, name="rota"),
    path("series/<slug:slug>/rota/take/", rota.take, name="rota_take"),
    path("meetings/<int:pk>/harvest/", harvest_views.harvest_edit, name="harvest_edit"),
    path(
        "meetings/<int:pk>/harvest/withdraw/",
        harvest_views.harvest_withdraw,
        name="harvest_withdraw",
    ),
    path(
        "meetings/<int:pk>/harvest/history/",
        harvest_views.harvest_history,
        name="harvest_history",
    ),
    path("series/<slug:slug>/harvests/", harvest_views.series_harvests, name="series_harvests"),
    path(
        "series/<slug:slug>/harvests.atom",
        harvest_views.SeriesHarvestsFeed(),
        name="series_harvests_feed",
    ),
    # Polls that find a time together.
    path("polls/", polls.poll_list, name="polls"),
    path("polls/new/", polls.poll_new, name="poll_new"),
    path("polls/<int:pk>/", polls.poll_detail, name="poll"),
    path("polls/<int:pk>/vote/", polls.poll_vote, name="poll_vote"),
    path("polls/<int:pk>/close/", polls.poll_close, name="poll_close"),
    path("polls/<int:pk>/confirm/<str:token>/", polls.poll_confirm, name="poll_confirm"),
]
