"""Django admin registrations, one module per area."""
from . import adjudications, datasets, labels, runs, studies  # noqa: F401
from . import api_access  # noqa: F401
from . import users  # noqa: F401

from django.contrib import admin

admin.site.site_header = "ICM Studio admin"
admin.site.site_title = "ICM Studio"
