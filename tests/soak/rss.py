"""The server's resident set size over the run, and the leak criterion.

Samples VmRSS from /proc/PID/status four times a second. The two figures the criterion compares
are plateaus, not single samples: the largest sample in the first third of the soak (right after
the warm-up) and in the last third. A single sample depends on which 256 KiB messages and which
slow consumers' backlogs happen to be live at that instant (the malloc and arena variants swing
by 6-8 MiB within seconds as large blocks are mapped and unmapped); the largest over a third of
the soak is the working set at full load, and a leak or creep raises it from one third to the
last.
"""
from dataclasses import dataclass, field

SAMPLE_EVERY = 0.25  # seconds


def window_for(soak_seconds: float) -> float:
    """A third of the soak: the two windows never overlap, and each is long enough to meet the
    working set's peak (the coincidence of large messages and full backlogs) more than once."""
    return soak_seconds / 3


def rss_kib(pid: int) -> int | None:
    """VmRSS in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass
class RssTrace:
    samples: list = field(default_factory=list)  # (seconds into the run, KiB)

    def add(self, t: float, kib: int) -> None:
        self.samples.append((t, kib))

    def latest(self) -> int | None:
        return self.samples[-1][1] if self.samples else None

    def peak(self) -> int | None:
        return max((k for _, k in self.samples), default=None)

    def plateau(self, start: float, end: float) -> int | None:
        """The largest sample in [start, end]."""
        return max((k for t, k in self.samples if start <= t <= end), default=None)


def rss_limit_kib(after_warmup_kib: int, margin: float, slack_kib: int) -> int:
    return int(after_warmup_kib * (1 + margin)) + slack_kib


def rss_verdict(after_warmup_kib: int | None, end_kib: int | None, margin: float, slack_kib: int) -> str | None:
    """None when the end plateau is within the limit; otherwise why not."""
    if after_warmup_kib is None or end_kib is None:
        return "RSS not measured (no samples in the after-warm-up or the end window)"
    limit = rss_limit_kib(after_warmup_kib, margin, slack_kib)
    if end_kib > limit:
        return (f"RSS grew: {end_kib} KiB at the end > limit {limit} KiB "
                f"(after warm-up {after_warmup_kib} KiB x (1 + {margin}) + {slack_kib} KiB)")
    return None
