"""A PostgreSQL cluster of a test's own, on a free port in a temporary folder, that the test may
stop and start again (a database outage) without touching the shared server on 5432."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from tests.private_redis import free_port
from tests.services import need


def postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda f: int(Path(f).parent.name) if Path(f).parent.name.isdigit()
                     else 0)
    return next((Path(f) for f in reversed(folders) if (Path(f) / "initdb").exists()), None)


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as the 'postgres' account."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return ""
    return "postgres"


class PrivatePostgres:
    """`start()` creates the cluster the first time; `stop()` shuts it down as a restart
    would (fast: sessions are ended); `remove()` stops it and deletes its folder."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        need("initdb (to start a private PostgreSQL)", self.bin is not None)
        self.user = _server_user()
        need("a 'postgres' account (PostgreSQL will not run as root)", self.user != "")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.folder = Path(tempfile.mkdtemp(prefix="ehcp-qa-pg-"))
        self.data = self.folder / "data"
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.folder, account.pw_uid, account.pw_gid)

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        assert self.bin is not None
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n"
                               f"{done.stderr}\n{self.log()}")

    def start(self) -> PrivatePostgres:
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data),
                  "-l", str(self.folder / "server.log"), "-o", options)
        return self

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "stop", "-w", "-t", "30", "-m", "fast", "-D", str(self.data))

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> PrivatePostgres:
        try:
            return self.start()
        except BaseException:
            self.remove()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.remove()
