"""Staff pages for the housing stock and the demands, mounted at /staff/allocation/."""

from django.urls import path

from allocation import views

app_name = "allocation"

urlpatterns = [
    path("", views.estate_list, name="estate-list"),
    path("estates/<int:pk>/", views.estate_detail, name="estate-detail"),
    path("demands/", views.demand_projects, name="demand-projects"),
    path("demands/<str:code>/", views.demand_list, name="demand-list"),
    path("demands/<str:code>/lock/", views.demand_lock, name="demand-lock"),
    path("households/<int:pk>/demand/", views.demand_edit, name="demand-edit"),
    path("import/", views.apartment_import, name="apartment-import"),
    path("import/template/", views.import_template, name="import-template"),
    path("export/", views.apartment_export, name="apartment-export"),
]
