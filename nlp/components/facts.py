"""fiscal_facts: from entities to the contract's facts (tables and prose), in ``doc._.facts``
with evidence in normalised offsets.

Table facts come from ``nlp.facts.tables.table_facts`` (one per money/target cell), prose
facts from ``nlp.facts.prose``. The relations the prose reader found between its facts (a
percentage and its amounts, a whole and its listed parts) are kept, as indices into
``doc._.facts``, in ``doc.user_data[FACT_LINKS]`` for fiscal_checks.
"""

from __future__ import annotations

import importlib
from typing import Callable, Optional

from spacy.language import Language
from spacy.tokens import Doc

from nlp.checks import Link
from nlp.facts.prose import extract_prose

FACT_LINKS = "fiscal_fact_links"


def _table_facts() -> Optional[Callable]:
    """``nlp.facts.tables.table_facts`` if that module is there (it is built separately)."""
    try:
        module = importlib.import_module("nlp.facts.tables")
    except ModuleNotFoundError as err:
        if err.name not in ("nlp.facts.tables",):
            raise
        return None
    return getattr(module, "table_facts", None)


class FactBuilder:
    def __init__(self, tables: bool = True, prose: bool = True):
        self.tables = tables
        self.prose = prose

    def __call__(self, doc: Doc) -> Doc:
        facts = []
        if self.tables:
            table_facts = _table_facts()
            if table_facts is not None:
                facts.extend(table_facts(doc))
        links: list[Link] = []
        if self.prose:
            result = extract_prose(doc)
            offset = len(facts)
            facts.extend(result.facts)
            links = [_shift(link, offset) for link in result.links]
        doc._.facts = facts
        doc.user_data[FACT_LINKS] = [{"kind": link.kind, "roles": link.roles, "uncertain": link.uncertain}
                                     for link in links]  # plain data
        return doc


def stored_links(doc: Doc) -> list[Link]:
    """The fact links fiscal_facts kept on ``doc``."""
    return [Link(d["kind"], dict(d["roles"]), d.get("uncertain")) for d in doc.user_data.get(FACT_LINKS, [])]


def _shift(link: Link, offset: int) -> Link:
    roles = {k: ([i + offset for i in v] if isinstance(v, list) else v + offset) for k, v in link.roles.items()}
    return Link(link.kind, roles, link.uncertain)


@Language.factory("fiscal_facts", default_config={"tables": True, "prose": True})
def make_facts(nlp: Language, name: str, tables: bool, prose: bool) -> FactBuilder:
    return FactBuilder(tables=tables, prose=prose)
