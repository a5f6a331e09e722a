"""The project's API mount point (`api/v1/`, as in crm/urls.py) without the web screens.

The API tests run against this so a screen being written elsewhere cannot break them;
`test_docs.py::test_project_urls_mount_the_api` checks crm/urls.py mounts the same thing.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
