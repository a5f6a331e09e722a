"""Routes of the api app: API v1 (mounted at /api/v1/ by crm/urls.py) and the docs page's assets."""

from django.urls import path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve

from api.api import SWAGGER_ASSETS, api

urlpatterns = [
    re_path(
        r"^docs/assets/(?P<path>swagger-ui[\w.-]*\.(?:js|css)|favicon\.(?:png|svg))$",
        cache_control(max_age=86400, public=True)(serve),
        {"document_root": SWAGGER_ASSETS},
        name="api-docs-asset",
    ),
    path("", api.urls),
]
