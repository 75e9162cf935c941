from django.urls import path

from publicity import views_complaints as views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/attachment/", views.complaint_attachment, name="attachment"),
    path("<int:pk>/start/", views.complaint_act, {"action": "start"}, name="start"),
    path("<int:pk>/answer/", views.complaint_act, {"action": "answer"}, name="answer"),
    path("<int:pk>/close/", views.complaint_act, {"action": "close"}, name="close"),
]
