"""Run a command, and run it again whenever it stops: the restart policy of a service manager.

    python deploy/supervise.py -- python -m dreampixel worker

What systemd's `Restart=always`, compose's `restart: unless-stopped` or Kubernetes do for the
app processes of a real deployment, `deploy/topology.py` does with this for its backends and
workers. A process killed by the kernel or an operator comes back, and so does a worker that
gave up after two minutes without Redis. SIGTERM or SIGINT stop the command and this
supervisor with it, without a restart.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

RESTART_DELAY_SECONDS = 1.0


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        sys.stderr.write("usage: python deploy/supervise.py -- COMMAND [ARGS...]\n")
        return 2
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        child = subprocess.Popen(command)  # noqa: S603 (the command line we were given)
        code = child.wait()
        if stopping:
            return code
        sys.stdout.write(f"supervise: {' '.join(command)} stopped (exit code {code}); "
                         f"starting it again in {RESTART_DELAY_SECONDS:.0f} s\n")
        sys.stdout.flush()
        time.sleep(RESTART_DELAY_SECONDS)
        if stopping:
            return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
