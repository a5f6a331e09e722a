"""One module per screen; their routes are listed in leads/urls.py."""
