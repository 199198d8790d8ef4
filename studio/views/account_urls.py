"""/account/: the profile page and its API tokens."""
from django.urls import path

from . import account

app_name = "account"
urlpatterns = [
    path("", account.profile, name="profile"),
    path("tokens/", account.create_token, name="create_token"),
    path("tokens/<int:token_id>/revoke/", account.revoke_token, name="revoke_token"),
]
