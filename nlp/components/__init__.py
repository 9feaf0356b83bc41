"""spaCy components of the fiscal pipeline, one job each, registered on import.

Order (see ``nlp/pipeline.cfg``): layout → rules → tagger → entities → facts → fact_pairs (off by
default) → checks.
"""

from nlp.components import checks, entities, fact_pairs, facts, layout, rules, tagger  # noqa: F401  (registration)
