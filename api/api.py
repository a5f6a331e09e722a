"""The API v1 instance: routers, bearer auth, error mapping, OpenAPI and the docs page."""

from __future__ import annotations

import json
from pathlib import Path

import ninja
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from api import errors
from api.auth import TokenAuth
from api.auth import router as auth_router
from api.routers.consents import router as consents_router
from api.routers.families import router as families_router
from api.routers.follow_ups import router as follow_ups_router
from api.routers.intake import router as intake_router
from api.routers.intro_visits import router as intro_visits_router
from api.routers.leads import router as leads_router
from api.routers.reference import router as reference_router

#: Swagger UI as shipped inside django-ninja (served by api.urls: nothing comes from a CDN).
SWAGGER_ASSETS = Path(ninja.__file__).parent / "static" / "ninja"


class LocalSwagger(DocsBase):
    """ninja's Swagger page, with its assets served from the installed package.

    ninja renders its local-asset template only when "ninja" is in INSTALLED_APPS and falls
    back to a CDN page otherwise; this page never depends on that setting.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": True,
        }
        return render(request, "api/docs.html", {"api": api, "swagger_settings": json.dumps(settings)})


class CrmAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # "create_enquiry" rather than "api_routers_leads_create_enquiry": names client generators keep.
        return operation.view_func.__name__


api = CrmAPI(
    title="Leads CRM API",
    version="1.0.0",
    description=(
        "Leads lifecycle of the centers: enquiry -> discovery -> intro visit -> follow-ups -> converted or "
        "closed. Get a token with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. "
        "Errors are JSON: 422 names the field, 409 says which lifecycle rule refused the move, 403 is "
        "another center's object or a role without the right, 404 an unknown id."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("", auth_router)
# The pending queue comes before the leads' `/leads/{lead_id}` routes (a spec requirement).
api.add_router("", follow_ups_router)
api.add_router("", leads_router)
api.add_router("", intro_visits_router)
api.add_router("", reference_router)
api.add_router("", families_router)
api.add_router("", consents_router)
api.add_router("", intake_router)  # issue 11: webhooks, signed per source (no bearer token)
