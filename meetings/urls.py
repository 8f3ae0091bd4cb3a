from django.urls import path

from . import embed, views

app_name = "meetings"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("calendar/<int:year>/<int:month>/", views.month_view, name="month"),
    path("series/<slug:slug>/", views.series_detail, name="series_detail"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("calendar.ics", views.calendar_feed, name="calendar_feed"),
    path("series/<slug:slug>/calendar.ics", views.calendar_feed, name="series_calendar_feed"),
    path("meetings/<int:pk>/calendar.ics", views.meeting_calendar, name="meeting_calendar"),
    path("robots.txt", views.robots, name="robots"),
    path("embed.js", embed.embed_script, name="embed_script"),
    path("embed/", embed.embed_page, name="embed"),
    path("embed/sessions/", embed.embed_sessions, name="embed_sessions"),
]
