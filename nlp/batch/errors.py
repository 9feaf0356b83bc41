"""The error a retag job raises when it cannot run or cannot go on."""


class JobError(RuntimeError):
    """The job cannot run or cannot go on (bad options, a busy or foreign output directory, a dead worker)."""
