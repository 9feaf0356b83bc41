"""spaCy components of the fiscal pipeline, one job each, registered on import.

Order (see ``nlp/pipeline.cfg``): layout → rules → tagger → entities → facts → checks.
"""

from nlp.components import checks, entities, facts, layout, rules, tagger  # noqa: F401  (registration)
