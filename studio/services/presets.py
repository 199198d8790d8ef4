"""Bundled dataset presets (filled by the import owner): name -> preset definition."""
PRESETS: dict = {}
