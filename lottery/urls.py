"""The lottery console under /staff/lottery/ (namespace "lottery"), the hall's big screen and
the notarial record PDF."""

from django.urls import path

from lottery.views import console, notarial_record, screen

app_name = "lottery"

urlpatterns = [
    path("", console.session_list, name="session-list"),
    path("new/", console.session_create, name="session-create"),
    path("<str:code>/", console.console, name="console"),
    path("<str:code>/state.json", console.state_json, name="state"),
    path("<str:code>/screen/", screen.screen, name="screen"),
    path("<str:code>/screen/state.json", screen.screen_state_json, name="screen-state"),
    path("<str:code>/confirm/", console.confirm, name="confirm"),
    path("<str:code>/entropy/", console.enter_entropy, name="entropy"),
    path("<str:code>/public-value/", console.enter_public_value, name="public-value"),
    path("<str:code>/check-in/", console.check_in, name="check-in"),
    path("<str:code>/draw/", console.draw_next, name="draw"),
    path("<str:code>/pick/", console.pick, name="pick"),
    path("<str:code>/pause/", console.pause, name="pause"),
    path("<str:code>/resume/", console.resume, name="resume"),
    path("<str:code>/sign-off/", console.sign_off, name="sign-off"),
    path("<str:code>/void/", console.void, name="void"),
    path("<str:code>/record.pdf", notarial_record.record_pdf, name="record"),
]
