"""What one variant's soak counted: verified messages and bytes, connections per traffic kind,
outcomes of slow and hostile clients, and every good-client error (the pass criterion).

Single-threaded (one asyncio loop), so plain counters suffice.
"""
from collections import Counter
from dataclasses import dataclass, field

ERRORS_KEPT = 20  # details of the first errors; all are counted


@dataclass
class Tally:
    messages: int = 0          # good-client messages verified byte-for-byte, in order
    bytes: int = 0             # their payload bytes
    pongs: int = 0             # pongs verified against their pings
    churn: int = 0             # churn connections that completed a clean close (1000)
    broadcast_published: int = 0   # bytes the broadcast publisher sent (slow members wait on it)
    slow: Counter = field(default_factory=Counter)     # "echo: close 1008", "broadcast: reset", ...
    hostile: Counter = field(default_factory=Counter)  # "kind: outcome"
    covered: set = field(default_factory=set)       # traffic kinds done at least once (warm-up)
    error_count: int = 0
    errors: list = field(default_factory=list)         # (seconds into the run, who, what)

    def verified(self, payload_bytes: int) -> None:
        self.messages += 1
        self.bytes += payload_bytes

    def error(self, when: float, who: str, what: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append((round(when, 2), who, what))

    def missing_coverage(self, wanted) -> list[str]:
        return [k for k in wanted if k not in self.covered]

    def slow_total(self) -> int:
        return sum(self.slow.values())

    def hostile_total(self) -> int:
        return sum(self.hostile.values())
