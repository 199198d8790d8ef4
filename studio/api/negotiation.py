"""Export endpoints take `?format=jsonl|csv` for the file they stream, so DRF must not read `format` as its
renderer override (it would answer 404 for a format it has no renderer for)."""
from types import SimpleNamespace

from rest_framework.negotiation import DefaultContentNegotiation


class IgnoreFormatParameter(DefaultContentNegotiation):
    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class ExportFormatMixin:
    """For a viewset: its export actions (names listed in `export_actions`) read ?format= themselves."""

    export_actions: tuple[str, ...] = ()

    def get_content_negotiator(self):
        if getattr(self, "action", None) in self.export_actions:
            return IgnoreFormatParameter()
        return super().get_content_negotiator()
