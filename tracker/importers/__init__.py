"""Files → records + findings.  No database, no Flask (see STYLE.md)."""
