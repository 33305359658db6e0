"""Ledger test fixtures: small books with a ledger source in Config, and a throwaway PostgreSQL cluster.

PostgreSQL runs from Debian's binaries (`/usr/lib/postgresql/*/bin`) in a temporary directory on 127.0.0.1, trust
authentication, as the `postgres` user when the tests run as root (initdb refuses root). Absent binaries skip the
PostgreSQL tests unless XLFIN_REQUIRE_POSTGRES=1 (set by .ci/run, which installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL server for this test session (no password: trust on 127.0.0.1)."""
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("XLFIN_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL binaries not found but XLFIN_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="xlfin_pg_"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    subprocess.run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-locale"]), check=True, capture_output=True)
    subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"),
                              "-o", f"-k {sock} -h 127.0.0.1 -p {port} -c fsync=off", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_db(pg_url):
    """A new, empty database on the session's server (tests do not see each other's ledgers)."""
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
