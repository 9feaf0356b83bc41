"""The table layout parser moved to the package ``nlp.tables`` (issue 15); this module keeps
``from nlp.layout import …`` working for existing importers."""

from nlp.tables import *  # noqa: F401,F403
from nlp.tables import __all__  # noqa: F401
