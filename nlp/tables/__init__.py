"""Tables of fiscal documents: one table model, a reader per source form.

- ``readers/``: one module per text form (tab, space-aligned, pipe/Markdown, CSV, HTML
  ``<table>``, one cell per line). A reader turns a block of text into rows of cells with
  exact offsets and knows nothing of fiscal meaning.
- ``grid``: the ``Table``/``Row``/``Column``/``Cell`` model, header paths, column roles,
  periods and bases, and the grid builder; ``codes``: classification codes read by position
  and hierarchy; ``targets``: 绩效目标 tables; ``kv``: key/value and score tables;
  ``document``: the document's year and basis; ``blocks``: finding blocks and the state
  machine over their rows; ``entities``: layout entities; ``facts``: table facts.
  None of these knows the source form.

See docs/tables.md.
"""

from nlp.tables.blocks import parse_tables
from nlp.tables.document import document_basis, document_evidence, document_period
from nlp.tables.entities import layout_entities
from nlp.tables.grid import (
    MONEY_UNITS,
    Cell,
    Column,
    LayoutEntity,
    Row,
    Table,
    clean_subject,
    decimal_string,
    is_number,
    money_value,
)
from nlp.tables.kv import score_of
from nlp.tables.targets import parse_target_value, target_measure

__all__ = [
    "Cell",
    "Column",
    "Row",
    "Table",
    "LayoutEntity",
    "MONEY_UNITS",
    "decimal_string",
    "document_period",
    "document_basis",
    "document_evidence",
    "parse_tables",
    "layout_entities",
    "parse_target_value",
    "target_measure",
    "money_value",
    "clean_subject",
    "is_number",
    "score_of",
]
