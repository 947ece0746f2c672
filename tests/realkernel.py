"""A real IPython kernel driven the way JupyterLab drives it: one request per cell, with its id.

nbclient and nbval send no cell ids and never run a cell twice; a student does both.
"""

import os
import queue
import shutil
from pathlib import Path

import nbformat
from jupyter_client import KernelManager

from courselab import kernel_start, startup

REPO = Path(__file__).resolve().parent.parent


def copy_notebooks(folder, target):
    """Copy a notebook folder (no databases) to `target`; return the copy's path."""
    shutil.copytree(REPO / folder, target, ignore=shutil.ignore_patterns(
        "databases", "*.db", "*.db-*", ".ipynb_checkpoints"))
    return Path(target)


def text(outputs):
    """What a student reads under a cell: streams, text/plain, one line per error."""
    return "".join(o["text"] if o["kind"] == "stream" else
                   f"{o['ename']}: {o['evalue']}\n" if o["kind"] == "error" else
                   o["data"].get("text/plain", "") + "\n" for o in outputs)


class Kernel:
    """A kernel of this venv, started in `cwd` with the profile `make lab` uses."""

    def __init__(self, cwd, tmp):
        ipython_dir = Path(tmp) / "ipython"
        startup.profile(ipython_dir)
        env = {**os.environ, "PYTHONPATH": str(REPO), "IPYTHONDIR": str(ipython_dir)}
        env.pop("MPLBACKEND", None)
        kernel_start.again(lambda: self._start(cwd, env), self.close)

    def _start(self, cwd, env):
        self.manager = KernelManager(kernel_name="python3")  # this venv's ipykernel
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code, cell_id=None, timeout=120):
        """Run one cell; return its outputs as dicts {kind, text | data | ename, evalue}."""
        msg = self.client.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False},
            metadata={"cellId": cell_id} if cell_id else {})
        self.client.shell_channel.send(msg)
        outputs = []
        while True:
            try:
                reply = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty as exc:
                raise TimeoutError(f"cell {cell_id} still running after {timeout} s") from exc
            if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                outputs.append({"kind": "stream", "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"kind": kind, "data": content["data"]})
            elif kind == "error":
                outputs.append({"kind": "error", "ename": content["ename"],
                                "evalue": content["evalue"], "traceback": content["traceback"]})
            elif kind == "status" and content["execution_state"] == "idle":
                return outputs

    def run_cell(self, cell, source=None):
        """Run a notebook cell (its own source, or `source` typed into it) under its id."""
        return self.run(cell.source if source is None else source, cell.get("id"))

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def read(path):
    return nbformat.read(path, as_version=4)
