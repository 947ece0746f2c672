"""Where graded student code runs: a clean environment and a kernel with resource limits.

This is damage control, not a security boundary: the kernel runs as the user who runs
`courselab grade`, can read what that user can read and open network connections. For
submissions you do not trust, run `courselab grade` inside a container (see the README).

`python -m courselab.sandbox CPU_S MEMORY_MB FILE_MB -f CONNECTION_FILE` applies the limits
(where the OS has `resource`) and then becomes an ordinary ipykernel.

Each kernel runs in its own session, and stopping it kills its process group. A process the
kernel detached (a new session, a double fork) leaves that group: on Linux the grading process
adopts such orphans (`adopt_orphans`) and kills them once the kernel has stopped
(`kill_children`). A process that escapes both (elsewhere than Linux, or one whose parent the
grader is not) can outlive its kernel.
"""

import json
import os
import signal
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "courselab-grade"
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def clean_env(home):
    """The only variables a graded kernel sees: PATH, HOME (a temporary folder), LANG,
    PYTHONPATH (so the kernel imports this courselab) and one thread per math library."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(PACKAGE_ROOT),
        "OPENBLAS_NUM_THREADS": "1",  # parallel graders: one thread each, and less address space
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def write_kernel_spec(folder, cpu_seconds, memory_mb, file_mb):
    """Write a kernel spec into `folder`/KERNEL_NAME that starts a limited kernel; return folder."""
    spec = Path(folder) / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "courselab.sandbox", str(cpu_seconds), str(memory_mb),
            str(file_mb), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "courselab grading (limited)", "language": "python",
        "interrupt_mode": "signal"}), encoding="utf-8")
    return Path(folder)


def apply_limits(cpu_seconds, memory_mb, file_mb):
    """Limit this process's CPU time, address space and file size; False where impossible."""
    try:
        import resource
    except ImportError:  # Windows: no limits, the timeout still bounds each cell
        return False
    for limit, value in ((resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_AS, memory_mb * 2**20),
                         (resource.RLIMIT_FSIZE, file_mb * 2**20)):
        _soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, hard))
    return True


def adopt_orphans():
    """Make this process the parent of its descendants' orphans (Linux's child subreaper), so
    that kill_children reaches them; False where the OS cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children():
    """Ids of this process's child processes, read from /proc (none where there is no /proc)."""
    mine, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == mine and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def kill_children(rounds=20):
    """Kill and reap every child of this process; the children of one killed become this
    process's own (adopt_orphans) and go in the next round."""
    for _ in range(rounds):
        children = _children()
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def main(argv):
    cpu_seconds, memory_mb, file_mb, *kernel_args = argv
    apply_limits(int(cpu_seconds), int(memory_mb), int(file_mb))
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *kernel_args])


if __name__ == "__main__":
    main(sys.argv[1:])
