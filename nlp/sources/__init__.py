"""Readers of source formats that are not plain text (PDF); each knows its format and nothing
of fiscal meaning, and hands the pipeline a text with a provenance map."""
