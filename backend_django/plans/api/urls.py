"""The plans' routes that are not the viewset's: the iCalendar feeds (their `.ics` would
otherwise be taken for a format suffix of the viewset's routes)."""

from django.urls import re_path

from .garden_views import CalendarSubscriptionView, PlanCalendarFeedView

urlpatterns = [
    re_path(
        r"^plans/(?P<pk>[^/.]+)/calendar\.ics$", PlanCalendarFeedView.as_view(), name="plans-calendar-ics"
    ),
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{1,128})\.ics$",
        CalendarSubscriptionView.as_view(),
        name="calendar-subscription",
    ),
]
