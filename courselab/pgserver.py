"""A throwaway PostgreSQL server: initdb in a temporary directory, trust auth, loopback only.

For the tests and for notebook 21. As root (CI, these machines) the server runs as the
`postgres` user that Debian's `postgresql` package creates; elsewhere as the current user.
Nothing outside its temporary directory is touched; `stop()` ends the server.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

HOW_TO_ENABLE = ("PostgreSQL tests skipped: install Debian's postgresql "
                 "(apt-get install postgresql) to run them; .ci/run does")


def bin_dir():
    """The directory of initdb/pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start in `root`; `url(dbname)` connects as the superuser."""

    def __init__(self, root):
        self.bin = bin_dir()
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args):
        command = [str(self.bin / args[0]), *map(str, args[1:])]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)
            os.chmod(self.root.parent, 0o755)
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "log",
                  "-w", "start")
        return self

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def url(self, dbname="postgres"):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"
