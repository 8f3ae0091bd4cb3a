from django.urls import path, re_path

from . import views
from .practice import harvest_views

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
]
