"""fiscal_checks: arithmetic checks over the facts, in ``doc._.checks``; the facts a failed
check involves get the flag ``inconsistent``. See ``nlp/checks.py`` for the checks and the
rounding tolerances."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp.checks import balance_links, check_links, mark_inconsistent, table_links
from nlp.components.facts import stored_links
from nlp.extensions import doc_text

UNCHECKED = "fiscal_unchecked"  # relations found but not checked for sure (contract v2 ``unchecked``)


class ArithmeticChecker:
    def __init__(self, flag_facts: bool = True):
        self.flag_facts = flag_facts

    def __call__(self, doc: Doc) -> Doc:
        facts = list(doc._.facts or [])
        text = doc_text(doc)
        links = stored_links(doc) + table_links(facts, text, doc._.tables) + balance_links(facts)
        checks, unchecked = check_links(facts, links, text)
        doc.user_data[UNCHECKED] = [u.as_dict() for u in unchecked]
        if self.flag_facts:
            doc._.facts = mark_inconsistent(facts, checks)
        doc._.checks = checks
        return doc


@Language.factory("fiscal_checks", default_config={"flag_facts": True})
def make_checks(nlp: Language, name: str, flag_facts: bool) -> ArithmeticChecker:
    return ArithmeticChecker(flag_facts=flag_facts)
