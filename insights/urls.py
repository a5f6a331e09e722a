"""Routes of the insights app."""

urlpatterns: list = []
