"""One module per screen; each exposes `urlpatterns`, gathered in leads/urls.py."""
