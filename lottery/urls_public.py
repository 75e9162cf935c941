"""The public lottery pages under /public/lottery/ (namespace "lottery-public")."""

from django.urls import path

from lottery import views_public as views

app_name = "lottery-public"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("verify_lottery.py", views.verifier, name="verifier"),
    path("<str:code>/", views.session_detail, name="detail"),
    path("<str:code>/live/", views.live, name="live"),
    path("<str:code>/state.json", views.state_json, name="state"),
    path("<str:code>/bundle.json", views.bundle, name="bundle"),
    path("<str:code>/verify/", views.verify_page, name="verify"),
]
