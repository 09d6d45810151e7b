"""A real Celery worker process on Redis, pointed at the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from celery import Celery

from tests.services import REDIS_URL, unique_name


@dataclass
class WorkerProcess:
    database_url: str
    instance_path: Path
    queue: str = field(default_factory=lambda: unique_name("ehcp_qa_test"))
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    broker_url: str = REDIS_URL
    beat: bool = False
    """Also run the schedule (celery beat) in the worker, sending to this worker's queue."""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def node(self) -> str:
        return f"{self.queue}@localhost"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker_url,
            "DATABASE_URL": self.database_url,
            "EHCP_QA_ENV": "test",
            "EHCP_QA_INSTANCE_PATH": str(self.instance_path),
            **self.env,
        }
        beat = []
        if self.beat:
            env["CELERY_QUEUE"] = self.queue
            beat = ["-B", "-s", str(self.instance_path / f"{self.queue}-beat")]
        self.log_path = self.instance_path / f"{self.queue}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=solo",
             "--concurrency=1", "-Q", self.queue, "-n", self.node, "--without-gossip",
             "--without-mingle", "-l", "info", *beat],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if producer(self.broker_url).control.ping(destination=[self.node], timeout=0.5):
                return
        raise RuntimeError(f"worker did not start in {timeout}s:\n{self.log()}")

    def send(self, task: str, *args: object) -> str:
        return producer(self.broker_url).send_task(task, args=list(args), queue=self.queue).id

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        with suppress(Exception):  # a test may have stopped its own Redis already
            producer(self.broker_url).connection_for_write().default_channel.client.delete(
                self.queue)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


_producers: dict[str, Celery] = {}


def producer(broker_url: str = REDIS_URL) -> Celery:
    """A separate Celery client, so the app under test keeps its own settings."""
    if broker_url not in _producers:
        client = Celery("ehcp-qa-tests", broker=broker_url, set_as_current=False)
        client.conf.update(task_serializer="json", accept_content=["json"],
                           broker_connection_retry_on_startup=False)
        _producers[broker_url] = client
    return _producers[broker_url]


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
