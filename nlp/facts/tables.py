"""Table facts; the implementation is ``nlp.tables.facts`` (kept here for importers)."""

from nlp.tables.facts import facts_from_tables, table_facts

__all__ = ["table_facts", "facts_from_tables"]
