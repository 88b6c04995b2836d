"""URL routes of the CMS host: admin, headless API, preview, search, and the guarded media files."""

from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls

from content_models.media import serve_document, serve_media

from .api import api_router
from .preview import preview

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's document link, named as Wagtail reverses it; it redirects to the guarded /media/ file.
    path("documents/<int:document_id>/<str:document_filename>", serve_document, name="wagtaildocs_serve"),
    path("api/v2/", api_router.urls),
    path("preview/", preview, name="preview"),
    path("", include("search_index.urls")),
    path("", include("members.urls")),
    path("", include("activities.urls")),
    path("", include("stats.urls")),
    # Every file under MEDIA_ROOT goes through the visibility check, in the demo, the tests and production
    # (where nginx sends the bytes; see MEDIA_ACCEL_REDIRECT_PREFIX). The builder downloads covers here.
    path("media/<path:path>", serve_media, name="media"),
]
