"""Routes of the api app."""

urlpatterns: list = []
