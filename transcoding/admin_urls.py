"""URLs of the transcoding report, mounted under /admin/transcoding/ by wagtail_hooks."""

from django.urls import path

from . import views

app_name = "transcoding"

urlpatterns = [
    path("", views.report_page.report, name="report"),
    path("<int:document_id>/retranscode/", views.report_page.requeue_one, name="retranscode"),
]
