"""Routes of the search service: /search/ (HTML), /api/search/, /api/suggest/, /api/hotwords/, /hot/<slug>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("api/search/", views.search_api, name="search_api"),
    path("api/suggest/", views.suggest_api, name="suggest_api"),
    path("api/hotwords/", views.hotwords_api, name="hotwords_api"),
    path("hot/<slug:slug>/", views.hot_page, name="hot_page"),
]
