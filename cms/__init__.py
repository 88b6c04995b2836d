"""The Django/Wagtail project: settings, URL routes, the headless API router."""
