"""Information extraction for Chinese government fiscal text (部门预算 / 部门决算)."""

__version__ = "0.1.0"


def __getattr__(name):  # lazy: `from nlp import Extractor` without importing spaCy for `nlp.normalize`
    if name == "Extractor":
        from nlp.extractor import Extractor

        return Extractor
    raise AttributeError(name)


__all__ = ["Extractor", "__version__"]
