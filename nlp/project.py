"""Where a project's files are, and where the package's own data is.

A *project* is the directory an annotator or analyst works in: its ``annotations/``,
``models/`` and ``reports/``. It is ``$FISCAL_PROJECT`` (which ``fiscal-extract --project DIR``
sets, and a deployment may set), else the current directory — never the installed package's
location, so a second clone or a wheel install writes where its user works.

The shipped model and the national code table are package data (``importlib.resources``), so a
wheel install runs without a checkout; a project's own trained model, ``models/fiscal-zh`` in
the project, is preferred when it exists.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV = "FISCAL_PROJECT"
MODEL_NAME = "fiscal-zh"


def project_root() -> Path:
    return Path(os.environ.get(ENV) or os.getcwd()).resolve()


def package_data(*parts: str) -> Path:
    """A file shipped inside the ``nlp`` package (``models/fiscal-zh``, ``data/gov_codes.tsv``)."""
    return Path(str(resources.files("nlp").joinpath(*parts)))


def model_dir(name: str, marker: str = "meta.json") -> Path:
    """The project's own ``models/<name>`` when it holds ``marker``, else the shipped one."""
    own = project_root() / "models" / name
    return own if (own / marker).exists() else package_data("models", name)


def default_model_dir() -> Path:
    """The project's own ``models/fiscal-zh`` when it has one, else the shipped model."""
    return model_dir(MODEL_NAME)


def trained_model_dir() -> Path:
    """Where ``train`` writes by default: the project's ``models/fiscal-zh``."""
    return project_root() / "models" / MODEL_NAME
