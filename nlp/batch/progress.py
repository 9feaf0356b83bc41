"""A retag job's progress: a tqdm bar on a terminal, a log line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A tqdm bar (documents/s, ETA) on a terminal; otherwise a log line every ``every`` seconds."""

    def __init__(self, total: int, initial: int, mode: str = "auto", stream: TextIO = sys.stderr, every: float = 5.0):
        self.total, self.done, self.stream, self.every = total, initial, stream, every
        self.initial, self.started, self.last_log = initial, time.monotonic(), 0.0
        if mode == "auto":
            mode = "bar" if getattr(stream, "isatty", lambda: False)() else "log"
        self.mode = mode
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="doc", file=stream, dynamic_ncols=True, smoothing=0.1)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "log":
            now = time.monotonic()
            if now - self.last_log >= self.every or self.done >= self.total:
                self.last_log = now
                self.log(self.line())

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = (self.done - self.initial) / elapsed
        left = self.total - self.done
        eta = f"{int(left / rate // 60)}m{int(left / rate % 60):02d}s" if rate > 0 else "?"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return f"{self.done}/{self.total} documents ({pct:.1f}%), {rate:.1f} docs/s, ETA {eta}"

    def log(self, message: str) -> None:
        if self.mode == "none":
            return
        if self.bar is not None:
            self.bar.write(f"retag: {message}", file=self.stream)
        else:
            print(f"retag: {message}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
