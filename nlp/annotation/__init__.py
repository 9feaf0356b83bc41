"""Gold annotations: record files, validation, statistics, folds, pre-annotation and review."""
