"""REST API URL patterns (filled by the API owner)."""
urlpatterns: list = []
