"""A progress bar with time left, on a terminal only; quiet when output is redirected."""

import sys
import time


class Progress:
    """Shows `done/total runs` and an estimate of the time left, redrawn in place."""

    def __init__(self, stream=None, enabled: bool | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self.total = self.first = 0
        self.began = 0.0

    def start(self, total: int, done: int = 0) -> None:
        self.total, self.first, self.began = total, done, time.perf_counter()
        self.update(done)

    def update(self, done: int) -> None:
        if not self.enabled or not self.total:
            return
        elapsed = time.perf_counter() - self.began
        fresh = done - self.first
        left = (self.total - done) * elapsed / fresh if fresh > 0 else float("nan")
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        eta = f"{left:,.0f} s left" if left == left else "estimating"
        self.stream.write(f"\r[{bar}] {done:,}/{self.total:,} runs  {eta}   ")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
