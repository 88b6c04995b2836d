"""URLs of the 「逐页阅读」 report, mounted under /admin/reading/ by wagtail_hooks.register_admin_urls."""

from django.urls import path

from . import views

app_name = "reading"

urlpatterns = [
    path("", views.report_page.report, name="report"),
    path("<int:document_id>/reprocess/", views.report_page.requeue_one, name="reprocess"),
]
