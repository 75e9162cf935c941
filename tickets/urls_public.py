"""The public verification of house tickets, mounted at /public/tickets/."""

from django.urls import path

from tickets.views import public

app_name = "tickets-public"

urlpatterns = [
    path("", public.verify, name="verify"),
]
