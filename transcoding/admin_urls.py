"""URLs of the transcoding report, mounted under /admin/transcoding/ by wagtail_hooks."""

from django.urls import path

from . import views

app_name = "transcoding"

urlpatterns = [
    path("", views.report, name="report"),
    path("<int:document_id>/retranscode/", views.retranscode, name="retranscode"),
]
