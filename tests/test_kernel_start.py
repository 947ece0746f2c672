"""A kernel that dies as it starts is started again: courselab's notebook runs, nbval's.

The kernel is made to die the way it does under load: one of its ports is already taken by
another process when it binds it ("Address already in use").
"""

import shlex
import signal
import subprocess

import nbformat
import pytest
from jupyter_client import AsyncKernelManager, KernelManager
from nbval import kernel as nbval_kernel

from courselab import kernel_start
from courselab.cli import main

from .conftest import REPO, on_taken_port


def notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])


def test_a_notebook_whose_kernel_dies_as_it_starts_runs_on_a_new_kernel(taken_port, tmp_path):
    manager, made = on_taken_port(AsyncKernelManager, taken_port, dying=1)
    nb = notebook()
    kernel_start.SteadyClient(nb, kernel_name="python3", kernel_manager_class=manager,
                              resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert len(made) == 2
    assert nb.cells[0].outputs[0]["text"] == "42\n"


def test_a_kernel_that_never_starts_is_an_error_after_the_last_attempt(taken_port, tmp_path):
    manager, made = on_taken_port(AsyncKernelManager, taken_port, dying=kernel_start.ATTEMPTS)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(kernel_start.KernelStartError, match="did not start.*(died|respond)"):
        kernel_start.SteadyClient(notebook(), kernel_name="python3", startup_timeout=30,
                                  kernel_manager_class=manager).execute()
    assert len(made) == kernel_start.ATTEMPTS
    # Ctrl-C still works afterwards (nbclient left its own handler, which does nothing)
    assert signal.getsignal(signal.SIGINT) is before is signal.default_int_handler


def test_nbval_starts_a_notebooks_kernel_again_when_it_dies_as_it_starts(taken_port,
                                                                         monkeypatch):
    manager, made = on_taken_port(KernelManager, taken_port, dying=1)
    monkeypatch.setattr(nbval_kernel, "KernelManager", manager)
    km, kc = nbval_kernel.start_new_kernel(kernel_name=nbval_kernel.CURRENT_ENV_KERNEL_NAME)
    try:
        assert len(made) == 2 and km.is_alive()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_make_nbval_run_alone_retries_kernel_starts_too():
    """`make nbval` names no test file, so pytest would not load tests/conftest.py, whose
    wrapper the test above checks: the Makefile loads it as a plugin."""
    printed = subprocess.run(["make", "--no-print-directory", "-n", "nbval"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout  # also in make
    dry_run = next(line for line in printed.splitlines() if " -m pytest " in line)
    command = [arg for arg in shlex.split(dry_run) if arg != "-q"]
    assert command[:5] == [".venv/bin/python", "-m", "pytest", "-p", "tests.conftest"]
    shown = subprocess.run([*command, "--collect-only", "-q", "--trace-config", "-n", "0"],
                           cwd=REPO, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
    assert "tests/conftest.py" in shown.stdout
    assert "03-Users.ipynb::Cell 0" in shown.stdout


def test_make_notebooks_says_in_one_line_that_no_kernel_started(taken_port, monkeypatch,
                                                                tmp_path, capsys):
    manager, made = on_taken_port(AsyncKernelManager, taken_port, dying=kernel_start.ATTEMPTS)
    monkeypatch.setattr(kernel_start.SteadyClient, "create_kernel_manager",
                        lambda self: manager(kernel_name="python3"))
    path = tmp_path / "03-Users.ipynb"
    nbformat.write(notebook(), path)
    before = path.read_bytes()
    status = main(["notebooks", "execute", str(path)])
    err = capsys.readouterr().err
    assert status == 1 and len(made) == kernel_start.ATTEMPTS
    assert err.startswith("courselab notebooks: the kernel did not start (3 tries")
    assert "Traceback" not in err and path.read_bytes() == before  # left as it was
