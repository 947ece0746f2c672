"""IPython extension for the kernels `make lab` starts: until the setup cell runs, say so.

A `%%sql`, `check` or `hint` cell run before a notebook's setup cell would fail with
"UsageError: Cell magic `%%sql` not found" or a NameError traceback. With this extension
loaded (`make lab` sets IPYTHONDIR to build/ipython, whose profile lists it), each prints one
line naming what to do instead. The setup cell replaces them with the real ones.
"""

MESSAGE = ("Run the setup cell first: the first code cell of this notebook "
           "(db = workbook.start(...)).")


def _not_yet(*_args, **_kwargs):
    print(MESSAGE)


def load_ipython_extension(ipython):
    """Register the placeholder `%sql` magic and `check`/`hint` names."""
    if ipython.find_magic("sql") is None:
        ipython.register_magic_function(_not_yet, "line_cell", "sql")
    for name in ("check", "hint"):
        ipython.user_ns.setdefault(name, _not_yet)


def profile(ipython_dir):
    """Write the IPython profile that loads this extension into `ipython_dir`; return its file."""
    from pathlib import Path

    config = Path(ipython_dir) / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("c.InteractiveShellApp.extensions = ['courselab.startup']\n",
                      encoding="utf-8")
    return config
