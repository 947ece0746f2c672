"""IPython extension for the kernels `make lab` starts: until the setup cell runs, say so.

A `%%sql`, `check` or `hint` cell run before a notebook's setup cell would fail with
"UsageError: Cell magic `%%sql` not found" or a NameError traceback. With this extension
loaded (`make lab` sets IPYTHONDIR to build/ipython, whose profile lists it), each prints one
line naming what to do instead. The setup cell replaces them with the real ones. Any other
name used before the setup cell defined it (`db`, `workbook`) gives one line saying to run it.
"""

MESSAGE = ("Run the setup cell first: the first code cell of this notebook "
           "(db = workbook.start(...)).")


def _not_yet(*_args, **_kwargs):
    print(MESSAGE)


def _name_error(shell, etype, value, tb, tb_offset=None):
    """Show a NameError: before the setup cell has defined `db`, one line saying to run it.

    IPython leaves the showing to the handler; this is how its set_custom_exc docs show it.
    """
    if "db" in shell.user_ns:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    else:
        stb = [f"{etype.__name__}: {value}. {MESSAGE}"]
    shell._showtraceback(etype, value, stb)
    return stb


def load_ipython_extension(ipython):
    """Register the placeholder `%sql` magic and `check`/`hint` names, and the NameError line."""
    if ipython.find_magic("sql") is None:
        ipython.register_magic_function(_not_yet, "line_cell", "sql")
    for name in ("check", "hint"):
        ipython.user_ns.setdefault(name, _not_yet)
    ipython.set_custom_exc((NameError,), _name_error)


def profile(ipython_dir):
    """Write the IPython profile that loads this extension into `ipython_dir`; return its file."""
    from pathlib import Path

    config = Path(ipython_dir) / "profile_default" / "ipython_kernel_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("c.InteractiveShellApp.extensions = ['courselab.startup']\n",
                      encoding="utf-8")
    return config
