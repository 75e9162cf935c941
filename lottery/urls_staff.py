"""The lottery console under /staff/lottery/ (namespace "lottery")."""

from django.urls import include, path

from lottery import views_staff as views

app_name = "lottery"

urlpatterns = [
    path("", views.session_list, name="session-list"),
    path("new/", views.session_create, name="session-create"),
    path("<str:code>/", views.console, name="console"),
    path("<str:code>/state.json", views.state_json, name="state"),
    path("<str:code>/screen/", views.screen, name="screen"),
    path("<str:code>/screen/state.json", views.screen_state_json, name="screen-state"),
    path("<str:code>/confirm/", views.confirm, name="confirm"),
    path("<str:code>/entropy/", views.enter_entropy, name="entropy"),
    path("<str:code>/check-in/", views.check_in, name="check-in"),
    path("<str:code>/draw/", views.draw_next, name="draw"),
    path("<str:code>/pick/", views.pick, name="pick"),
    path("<str:code>/pause/", views.pause, name="pause"),
    path("<str:code>/resume/", views.resume, name="resume"),
    path("<str:code>/sign-off/", views.sign_off, name="sign-off"),
    path("<str:code>/void/", views.void, name="void"),
    # The notarial record PDF (lottery.urls_record): "lottery:record".
    path("", include("lottery.urls_record")),
]
