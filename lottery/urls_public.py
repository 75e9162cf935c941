"""The public lottery pages under /public/lottery/ (namespace "lottery-public")."""

from django.urls import path

from lottery.views import public, receipts

app_name = "lottery-public"

urlpatterns = [
    path("", public.session_list, name="list"),
    path("verify_lottery.py", public.verifier, name="verifier"),
    path("<str:code>/", public.session_detail, name="detail"),
    path("<str:code>/live/", public.live, name="live"),
    path("<str:code>/state.json", public.state_json, name="state"),
    path("<str:code>/bundle.json", public.bundle, name="bundle"),
    path("<str:code>/verify/", public.verify_page, name="verify"),
    path("<str:code>/receipt/", receipts.receipt_page, name="receipt"),
    path("<str:code>/merkle.json", receipts.merkle_json, name="merkle"),
]
