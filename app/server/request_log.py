"""The request log, read from llama-server's own log (no proxy sees the requests): the router says
which port each model instance got, and each instance prints its slot timings when a task ends.

llama-server logs neither the client address nor the HTTP status (its request logger is disabled
upstream), so a record has the model, token counts, prompt time (the time to first token, less
queueing) and generation speed; `truncated` is the only status the log carries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPAWN = re.compile(r"spawning server instance with name=(?P<name>\S+) on port (?P<port>\d+)")
_PREFIX = re.compile(r"^\[(?P<port>\d+)\] ")
_TIMING = re.compile(r"id\s+(?P<slot>\d+) \| task (?P<task>\d+) \| +(?P<what>prompt eval|eval) time = +"
                     r"(?P<ms>[\d.]+) ms / +(?P<n>\d+) tokens \(.*?(?P<tps>[\d.]+|inf) tokens per second\)")
_RELEASE = re.compile(r"id\s+(?P<slot>\d+) \| task (?P<task>\d+) \| stop processing: n_tokens = \d+, "
                      r"truncated = (?P<truncated>\d)")
_LAUNCH = re.compile(r"id\s+(?P<slot>\d+) \| task (?P<task>\d+) \| processing task")


@dataclass
class RequestRecord:
    model: str
    slot: int
    task: int
    prompt_tokens: int = 0
    prompt_ms: float = 0.0  # TTFT as llama-server measures it: prompt processing until the first token
    generated_tokens: int = 0
    tokens_per_second: float = 0.0
    status: str = "running"  # running, done, truncated


@dataclass
class RequestLogParser:
    """Feed it log lines in order; finished requests come back from feed()."""

    ports: dict[str, str] = field(default_factory=dict)  # instance port -> model name
    _open: dict[tuple[str, int], RequestRecord] = field(default_factory=dict)

    def feed(self, line: str) -> list[RequestRecord]:
        spawn = _SPAWN.search(line)
        if spawn:
            self.ports[spawn["port"]] = spawn["name"]
            return []
        prefix = _PREFIX.match(line)
        if not prefix:
            return []
        model = self.ports.get(prefix["port"], f"port {prefix['port']}")
        if m := _LAUNCH.search(line):
            self._open[(model, int(m["task"]))] = RequestRecord(model, int(m["slot"]), int(m["task"]))
        elif m := _TIMING.search(line):
            record = self._record(model, m)
            if m["what"] == "prompt eval":
                record.prompt_tokens, record.prompt_ms = int(m["n"]), float(m["ms"])
            else:
                record.generated_tokens = int(m["n"])
                record.tokens_per_second = float(m["tps"]) if m["tps"] != "inf" else 0.0
        elif m := _RELEASE.search(line):
            record = self._open.pop((model, int(m["task"])), None)
            if record is not None:
                record.status = "truncated" if m["truncated"] == "1" else "done"
                return [record]
        return []

    def _record(self, model: str, m: re.Match) -> RequestRecord:
        key = (model, int(m["task"]))
        if key not in self._open:
            self._open[key] = RequestRecord(model, int(m["slot"]), int(m["task"]))
        return self._open[key]


class LogFollower:
    """Reads the lines appended to a log file since the last call (the file is rotated on restart)."""

    def __init__(self, path):
        self.path, self._offset, self._partial = path, 0, ""

    def new_lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                f.seek(0, 2)
                if f.tell() < self._offset:  # a new file after a restart
                    self._offset, self._partial = 0, ""
                f.seek(self._offset)
                data = f.read()
                self._offset = f.tell()
        except OSError:
            return []
        text = self._partial + data.decode("utf-8", errors="replace")
        lines = text.split("\n")
        self._partial = lines.pop()
        return lines
