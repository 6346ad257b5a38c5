"""The helper every server fixture starts its process with."""

from __future__ import annotations

import sys
import time

import pytest

from tests.fixtures.processes import free_port, port_open, running_process


def test_a_process_that_dies_while_starting_fails_at_once_with_its_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="boom"), running_process(
        [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
        ready=lambda: False, what="a failing server", timeout=60, log_path=tmp_path / "log",
    ):
        pass
    assert time.monotonic() - started < 10, "no waiting for the timeout once the process is gone"


def test_a_server_is_stopped_when_the_block_ends() -> None:
    port = free_port()
    code = f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); time.sleep(60)"
    with running_process([sys.executable, "-c", code], ready=lambda: port_open(port), what="a listener") as proc:
        assert port_open(port)
    assert proc.poll() is not None and not port_open(port)
