"""From retag outputs to datasets: a fact store (SQLite), cross-document links and checks,
queries, and Fiscal Data Package export. See docs/datasets.md."""
