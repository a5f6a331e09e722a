"""Routes of the api app: API v1 (mounted at /api/v1/ by crm/urls.py) and the docs page's assets."""

import functools

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve

from api.api import SWAGGER_ASSETS, api


def _json_errors(view):
    """ninja answers a wrong method with a plain-text 405; integrators get JSON everywhere."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = JsonResponse({"detail": f"Method not allowed here: use {allowed}."}, status=405)
            response["Allow"] = allowed
        return response

    return wrapped


def _not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "No such endpoint."}, status=404)


_ninja_patterns, _ninja_app, _ninja_namespace = api.urls  # not `app_name`: Django would read it

urlpatterns = [
    re_path(
        r"^docs/assets/(?P<path>swagger-ui[\w.-]*\.(?:js|css)|favicon\.(?:png|svg))$",
        cache_control(max_age=86400, public=True)(serve),
        {"document_root": SWAGGER_ASSETS},
        name="api-docs-asset",
    ),
    path(
        "",
        include(
            (
                [path(str(p.pattern), _json_errors(p.callback), p.default_args, name=p.name) for p in _ninja_patterns],
                _ninja_app,
            ),
            namespace=_ninja_namespace,
        ),
    ),
    # Anything else under /api/v1/ is a JSON 404 too, not the site's HTML page.
    re_path(r"^", _not_found),
]
