"""What every traffic loop of one variant's soak shares: where the server is, when to stop, the
tally, the run's seed and limits."""
import asyncio
import random
import time
from dataclasses import dataclass, field

from payloads import Blobs
from tally import Tally

OP_TIMEOUT = 30.0   # any single network wait of a good client (python on a busy 2-core machine)


@dataclass
class RunContext:
    host: str
    port: int
    seed: int
    blobs: Blobs
    max_backlog: int           # the server's --max-backlog
    handshake_timeout: float   # the server's --handshake-timeout-ms, in seconds
    good_window: int           # bytes a good client may have unanswered (< max_backlog)
    good_rate: float           # messages per second per good client; 0 = as fast as it goes
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tally: Tally = field(default_factory=Tally)
    started: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        """Seconds since this variant's traffic started."""
        return time.monotonic() - self.started

    def rng(self, who: str) -> random.Random:
        """One generator per client, derived from the run's seed and the client's name."""
        return random.Random(f"{self.seed}/{who}")

    def error(self, who: str, what: str) -> None:
        self.tally.error(self.now(), who, what)
