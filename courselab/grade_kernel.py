"""A limited kernel that runs a notebook's cells one at a time and survives runaway cells.

A cell that runs past the timeout is interrupted; if the kernel does not answer within
PROBE_SECONDS afterwards (a cell that ignores SIGINT), or if it died (os._exit, a crash, a
resource limit), a new kernel is started and the cells that had completed are run again, so
the cells after it see the same state as before.
"""

import contextlib
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from . import kernel_start, sandbox

# nbclient logs a timeout as an error, and asyncio a poller left waiting on a stopped channel
# ("Task exception was never retrieved"): both are expected here, and the verdict says it.
_QUIET = logging.getLogger("courselab.grade_kernel")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
OUTPUT_CAP = 2**20  # characters of output kept per cell: a verdict is one line
PROBE_SECONDS = 10  # how long an interrupted kernel has to answer a trivial cell
MAX_RESTARTS = 3
STARTUP_SECONDS = 60


@dataclass
class Outcome:
    """What one cell did: status ok, error, timeout or dead; its text output; its error line;
    the text of its own value (its execute_result), which no print or hook can write."""

    status: str
    text: str = ""
    error: str = ""
    result: str = ""


class Unrecoverable(Exception):
    """The kernel could not be brought back to the state before a failed cell."""


def _text(outputs):
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


class _CappedClient(NotebookClient):
    """A NotebookClient that keeps at most OUTPUT_CAP characters of each cell's outputs, so a
    cell printing in a loop cannot fill the grader's memory before its timeout."""

    kept = 0

    def output(self, outs, msg, display_id, cell_index):
        self.kept += len(str(msg.get("content", "")))
        if self.kept > OUTPUT_CAP and msg["msg_type"] != "error":
            return None
        return super().output(outs, msg, display_id, cell_index)


class Kernel:
    """One kernel in its own temporary folder; use as a context manager."""

    def __init__(self, limits, timeout, scratch=None):
        self.limits, self.timeout, self.scratch = limits, timeout, scratch
        self.history = []  # sources of the cells that completed, to replay after a restart
        self.restarts = 0
        self.launches = 0  # kernels started, each with a connection file of its own
        self.client = None

    def __enter__(self):
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        self.folder = Path(tempfile.mkdtemp(prefix="courselab-grade-", dir=self.scratch))
        self.work = self.folder / "work"
        self.home = self.folder / "home"
        self.work.mkdir()
        self.home.mkdir()
        self.specs = sandbox.write_kernel_spec(self.folder / "kernels", *self.limits)
        try:
            self._start()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self

    def __exit__(self, *_exc):
        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _start(self):
        """Start a kernel; one that dies or does not answer is started again, up to
        kernel_start.ATTEMPTS kernels: no student code has run yet, so the cause is not the
        notebook's (see kernel_start)."""
        kernel_start.again(self._launch, self._stop)

    def _launch(self):
        self.launches += 1
        # Its connection file too goes in the folder, removed even if this process is killed.
        manager = AsyncKernelManager(
            kernel_name=sandbox.KERNEL_NAME,
            connection_file=str(self.folder / f"connection-{self.launches}.json"),
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.specs)]))
        self.client = _CappedClient(nbformat.v4.new_notebook(), km=manager,
                                    timeout=self.timeout, allow_errors=True,
                                    interrupt_on_timeout=False, startup_timeout=STARTUP_SECONDS,
                                    shutdown_kernel="immediate", log=_QUIET)
        # The kernel's own stderr (its warnings, a student's os.write(2, ...)) is not ours.
        self.client.start_new_kernel(cwd=str(self.work), env=sandbox.clean_env(self.home),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client.start_new_kernel_client()

    def _stop(self):
        if self.client is not None and self.client.km is not None:
            # A dead kernel may fail to shut down: it is gone anyway.
            with contextlib.suppress(Exception):
                self.client._cleanup_kernel()
        self.client = None

    def _execute(self, source, timeout):
        cell = nbformat.v4.new_code_cell(source)
        self.client.nb.cells = [cell]  # nbclient writes outputs back into its notebook
        self.client.timeout, self.client.kept = timeout, 0
        try:
            self.client.execute_cell(cell, 0)
        except CellTimeoutError:
            return Outcome("timeout")
        except DeadKernelError:
            return Outcome("dead")
        error = next((o for o in cell.outputs if o.get("output_type") == "error"), None)
        if error is not None:
            return Outcome("error", _text(cell.outputs), f"{error.ename}: {error.evalue}")
        results = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
        result = results[0]["data"].get("text/plain", "") if len(results) == 1 else ""
        return Outcome("ok", _text(cell.outputs), result=result)

    def run(self, source):
        """Run one cell; after a timeout or a death, leave a kernel ready for the next cell.

        Raises Unrecoverable when the kernel cannot be brought back.
        """
        outcome = self._execute(source, self.timeout)
        if outcome.status in ("ok", "error"):
            self.history.append(source)
        elif outcome.status == "timeout":
            run_sync(self.client.km.interrupt_kernel)()
            # The stopped cell's pollers may still be waiting on the old channels and would
            # swallow the next cell's output: talk to the same kernel on new channels.
            self.client.kc.stop_channels()
            if not self._reconnect() or self._execute("pass", PROBE_SECONDS).status != "ok":
                self._restart()
        else:
            self._restart()
        return outcome

    def _reconnect(self):
        """New channels to the same kernel; False if it does not answer in PROBE_SECONDS (a
        cell that ignores the interrupt is still running)."""
        self.client.startup_timeout = PROBE_SECONDS
        try:
            self.client.start_new_kernel_client()
        except RuntimeError:
            return False
        finally:
            self.client.startup_timeout = STARTUP_SECONDS
        return True

    def _restart(self):
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise Unrecoverable(f"the kernel failed {self.restarts} times")
        self._stop()
        self._start()
        for source in self.history:
            if self._execute(source, self.timeout).status not in ("ok", "error"):
                raise Unrecoverable("re-running the cells before it failed")
