from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("series/<slug:slug>/", views.series_detail, name="series_detail"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
]
