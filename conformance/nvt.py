"""The nvt process under test: started on a fresh state directory with ephemeral ports, its
log read for the addresses it chose, stopped by SIGTERM or killed by SIGKILL (by pid only).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

HTTP_RE = re.compile(r"ONVIF device service at http://([0-9.]+):(\d+)/")
RTSP_RE = re.compile(r"RTSP stream at rtsp://([0-9.]+):(\d+)/(\S+)")


class Nvt:
    """One nvt daemon. `http_port`, `rtsp_port` and `profiles` are known once `start` returns."""

    def __init__(self, binary: Path, state_dir: Path, password: str, args=(), env=None, *, bind="127.0.0.1", prefix=(), discovery=False):
        self.binary = binary
        # WS-Discovery only where the camera runs in a network namespace of its own.
        self.discovery = discovery
        self.bind = bind
        # e.g. ["ip", "netns", "exec", NS]: run inside a network namespace (ip execs nvt, so
        # the pid is nvt's).
        self.prefix = list(prefix)
        self.state_dir = state_dir
        self.password = password
        self.args = list(args)
        self.env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.http_port = 0
        self.rtsp_port = 0
        self.profiles: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> "Nvt":
        env = {k: v for k, v in os.environ.items() if k != "NVT_ADMIN_PASSWORD"}
        env.update({"NVT_ADMIN_PASSWORD": self.password, "RUST_LOG": "info"}, **self.env)
        cmd = [
            *self.prefix,
            str(self.binary),
            "--state-dir", str(self.state_dir),
            "--bind", self.bind,
            "--http-port", "0",
            "--rtsp-port", "0",
            *([] if self.discovery else ["--no-discovery"]),
            *self.args,
        ]
        with self._cond:
            self.lines = []
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        self.wait_for("nvt running", timeout)
        self.profiles = []
        for line in self.snapshot():
            if m := HTTP_RE.search(line):
                self.http_port = int(m.group(2))
            if m := RTSP_RE.search(line):
                self.rtsp_port = int(m.group(2))
                self.profiles.append(m.group(3))
        if not self.http_port:
            raise RuntimeError("nvt did not log its HTTP port:\n" + "\n".join(self.snapshot()))
        return self

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def snapshot(self) -> list[str]:
        with self._cond:
            return list(self.lines)

    def wait_for(self, needle: str, timeout: float, after: int = 0) -> str:
        """Waits for a log line containing `needle` (from line index `after`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[after:]:
                    if needle in line:
                        return line
                if self.proc and self.proc.poll() is not None:
                    raise RuntimeError(
                        f"nvt exited ({self.proc.returncode}) before {needle!r}:\n"
                        + "\n".join(self.lines[-40:])
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {needle!r} in nvt's log:\n" + "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.5))

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then waits; returns the exit code."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("nvt did not stop within %.0f s of SIGTERM" % timeout)

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> "Nvt":
        self.stop()
        return self.start()

    # -- what the cases use ------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def device_url(self) -> str:
        return f"http://{self.bind}:{self.http_port}/onvif/device_service"

    def rtsp_url(self, profile: str) -> str:
        return f"rtsp://{self.bind}:{self.rtsp_port}/{profile}"

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0
