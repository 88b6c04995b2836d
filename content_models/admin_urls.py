"""URLs of the bulk import/export views, mounted under /admin/catalogue/ by wagtail_hooks.register_admin_urls."""

from django.urls import path

from . import views

app_name = "catalogue_import"

urlpatterns = [
    path("", views.import_index, name="index"),
    path("confirm/", views.import_confirm, name="confirm"),
    path("job/<str:token>/", views.import_status, name="status"),
    path("template/<slug:type_key>.xlsx", views.download_template, name="template"),
    path("export/<slug:type_key>.<str:file_format>", views.export, name="export"),
]
