"""Web routes of the leads app: each screen module owns its own `urlpatterns`."""

urlpatterns: list = []
