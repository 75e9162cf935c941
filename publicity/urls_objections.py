from django.urls import path

from publicity import views_objections as views

app_name = "objections"

urlpatterns = [
    path("", views.objection_list, name="list"),
    path("<int:pk>/", views.objection_detail, name="detail"),
    path("<int:pk>/attachment/", views.objection_attachment, name="attachment"),
]
