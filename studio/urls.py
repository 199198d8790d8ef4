from django.contrib import admin
from django.urls import include, path

from studio.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("studio.views.auth_urls")),
    path("admin/", admin.site.urls),
    path("adjudicate/", include("studio.views.adjudicate_urls")),
    path("annotate/", include("studio.views.annotate_urls")),
    path("review/", include("studio.views.review_urls")),
    path("runs/", include("studio.views.runs_urls")),
    path("studies/", include("studio.views.studies_urls")),
    path("account/", include("studio.views.account_urls")),
    path("api/", include("studio.api.urls")),
]

# Styled pages with the refusal's message and a way back (DEBUG off; tests run with it off too).
handler403 = "studio.views.errors.permission_denied"
handler404 = "studio.views.errors.page_not_found"
