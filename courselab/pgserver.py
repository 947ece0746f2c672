"""A throwaway PostgreSQL server: initdb in a temporary directory, trust auth, loopback only.

For the tests and for notebook 24. As root (CI, these machines) the server runs as the
`postgres` user that Debian's `postgresql` package creates; elsewhere as the current user.
Nothing outside its temporary directory is touched; `stop()` ends the server.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
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


PORT_ATTEMPTS = 3


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Run by a watchdog process: once the owner has ended, however it ended (a kernel killed by
# its client, a test run interrupted), stop the server and delete its folder.
# An owner that has ended but is not yet reaped (a zombie, e.g. when its parent died too and
# the container's first process does not reap) has ended as well.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, folder, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def ended():
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{owner}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
while not ended():
    time.sleep(1)
subprocess.run(stop, capture_output=True)
shutil.rmtree(folder, ignore_errors=True)
"""


class Cluster:
    """A server in a new temporary folder; `url(dbname)` connects as the superuser.

    `start(owner=pid)` also starts a watchdog that stops the server and deletes the folder
    when process `pid` ends, so a killed owner never leaves a server running.
    """

    def __init__(self):
        self.bin = bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="courselab-pg-"))
        self.root = self.folder / "cluster"
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _command(self, *args):
        command = [str(self.bin / args[0]), *map(str, args[1:])]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, *args):
        subprocess.run(self._command(*args), check=True, capture_output=True, text=True,
                       timeout=120)

    def start(self, owner=None):
        self.root.mkdir()
        if os.geteuid() == 0:  # the server runs as postgres: it needs the way in
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)
            os.chmod(self.folder, 0o755)
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self._listen()
        if owner is not None:
            stop = self._command("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(owner), str(self.folder),
                              *stop], start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def _listen(self):
        """Start the server on a free port. The port is free when chosen, but another process
        can take it before the server binds it: then the server starts on another one, up to
        PORT_ATTEMPTS times."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                       f"-c unix_socket_directories={self.root} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            (self.root / "log").unlink(missing_ok=True)  # pg_ctl appends: this attempt's
            try:
                return self._run("pg_ctl", "-D", self.data, "-o", options,
                                 "-l", self.root / "log", "-w", "start")
            except subprocess.CalledProcessError:
                log = (self.root / "log").read_text(encoding="utf-8", errors="replace")
                if attempt == PORT_ATTEMPTS or "Address already in use" not in log:
                    raise
                self.port = _free_port()

    def stop(self):
        """Stop the server and delete its folder."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, dbname="postgres"):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"
