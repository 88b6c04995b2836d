"""Spreadsheet import and export of the catalogue: one column table per type serves templates, import, export and docs."""
