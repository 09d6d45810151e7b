"""A real Celery worker process on Redis, pointed at the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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

    @property
    def node(self) -> str:
        return f"{self.queue}@localhost"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "CELERY_BROKER_URL": REDIS_URL,
            "DATABASE_URL": self.database_url,
            "EHCP_QA_ENV": "test",
            "EHCP_QA_INSTANCE_PATH": str(self.instance_path),
        }
        self.log_path = self.instance_path / f"{self.queue}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=solo",
             "--concurrency=1", "-Q", self.queue, "-n", self.node, "--without-gossip",
             "--without-mingle", "-l", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if producer().control.ping(destination=[self.node], timeout=0.5):
                return
        raise RuntimeError(f"worker did not start in {timeout}s:\n{self.log()}")

    def send(self, task: str, *args: object) -> str:
        return producer().send_task(task, args=list(args), queue=self.queue).id

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
        producer().connection_for_write().default_channel.client.delete(self.queue)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


_producer: Celery | None = None


def producer() -> Celery:
    """A separate Celery client, so the app under test keeps its own settings."""
    global _producer
    if _producer is None:
        _producer = Celery("ehcp-qa-tests", broker=REDIS_URL, set_as_current=False)
        _producer.conf.update(task_serializer="json", accept_content=["json"],
                              broker_connection_retry_on_startup=False)
    return _producer


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
