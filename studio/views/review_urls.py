"""URL patterns for this part of the studio (filled by its owner)."""
urlpatterns: list = []
