"""The notarial record's URL, included by lottery.urls_staff (namespace "lottery"):
/staff/lottery/<code>/record.pdf."""

from django.urls import path

from lottery import views_record

urlpatterns = [
    path("<str:code>/record.pdf", views_record.record_pdf, name="record"),
]
