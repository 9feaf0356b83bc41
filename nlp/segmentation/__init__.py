"""Word segmentation resources of the fiscal tokenizer.

- ``python -m nlp.segmentation.build_dict``: the jieba user dictionary ``nlp/data/fiscal_dict.txt``
- ``python -m nlp.segmentation.train_pkuseg``: the domain spacy-pkuseg model ``models/pkuseg-fiscal/``
- ``nlp.segmentation.jieba_dag``: jieba's accurate mode for one block, same words, faster
- ``nlp.segmentation.corpus``: the normalised sources both builders read

The builders read only files in the repository (the sources, the lexicons); nothing is downloaded.
"""
