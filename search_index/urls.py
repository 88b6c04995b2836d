"""Routes of the search service: /search/ (HTML), /api/search/, /api/suggest/, /api/hotwords/, /hot/<slug>/, /search/read/ (the reader's 跳到第 __ 页)."""

from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/read/", views.jump_to_page, name="jump_to_page"),
    path("api/search/", views.search_api, name="search_api"),
    path("api/suggest/", views.suggest_api, name="suggest_api"),
    path("api/hotwords/", views.hotwords_api, name="hotwords_api"),
    path("hot/<slug:slug>/", views.hot_page, name="hot_page"),
]
