from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("meetings/<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("series/<slug:slug>/follow/", views.follow, name="follow"),
    path("me/", views.profile, name="profile"),
    path("me/data.json", views.export, name="export"),
    path("me/delete/", views.delete_account, name="delete_account"),
    path("me/feed/rotate/", views.rotate_feed, name="rotate_feed"),
    path("feeds/<str:token>.ics", views.personal_feed, name="personal_feed"),
    path("rsvp/<str:token>/", views.rsvp_link, name="rsvp_link"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
