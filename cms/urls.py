"""URL routes of the CMS host: admin, documents, headless API; media files where no web server fronts them."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from .api import api_router
from .preview import preview

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("preview/", preview, name="preview"),
    path("", include("search_index.urls")),
]

if settings.SERVE_MEDIA:
    # The builder downloads cover renditions over HTTP; in the demo and tests Django serves them.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
