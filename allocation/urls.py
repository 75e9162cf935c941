"""Staff pages for the housing stock and the demands, mounted at /staff/allocation/."""

from django.urls import path

from allocation.views import apartment_files, demands, estates

app_name = "allocation"

urlpatterns = [
    path("", estates.estate_list, name="estate-list"),
    path("estates/<int:pk>/", estates.estate_detail, name="estate-detail"),
    path("demands/", demands.demand_projects, name="demand-projects"),
    path("demands/<str:code>/", demands.demand_list, name="demand-list"),
    path("demands/<str:code>/lock/", demands.demand_lock, name="demand-lock"),
    path("households/<int:pk>/demand/", demands.demand_edit, name="demand-edit"),
    path("import/", apartment_files.apartment_import, name="apartment-import"),
    path("import/template/", apartment_files.import_template, name="import-template"),
    path("export/", apartment_files.apartment_export, name="apartment-export"),
]
