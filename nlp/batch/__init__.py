"""Batch re-tagging: a whole corpus through the extractor, resumable, on one machine or a Dask cluster.

``run_job(JobConfig(inputs, out, ...))`` runs (or resumes, or recognises as finished) a job;
``write_diff(previous_out, current_out)`` reports what changed between two outputs. See
``docs/retag.md``.
"""

from nlp.batch.diff import DiffError, diff_outputs, render_markdown, write_diff
from nlp.batch.engine import ExtractorSpec, JobConfig, JobError, JobReport, run_job
from nlp.batch.inputs import InputError, discover, plan

__all__ = [
    "DiffError", "ExtractorSpec", "InputError", "JobConfig", "JobError", "JobReport",
    "diff_outputs", "discover", "plan", "render_markdown", "run_job", "write_diff",
]
