"""Offline builders for the tokenizer's resources.

- ``python -m nlp.segmentation.build_dict``: the jieba user dictionary ``nlp/data/fiscal_dict.txt``
- ``python -m nlp.segmentation.train_pkuseg``: the domain spacy-pkuseg model ``models/pkuseg-fiscal/``

Both read only files in the repository (the sources, the lexicons); nothing is downloaded.
"""
