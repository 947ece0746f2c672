"""Where the commands write: a folder that can take a new file, tried before the work starts.

The folder is tried by creating a file in it, as the command will: its mode alone does not
tell (root may write anywhere the mode forbids, yet nowhere in /proc or on a read-only mount).
"""

import tempfile
from pathlib import Path

from .errors import CourselabError


def writable_folder(path, option, create=True):
    """Check a new file can be written in the folder of file `path`, created first (with
    `create`; without, the nearest folder that exists is tried, and nothing is made).

    Raises CourselabError naming `option` (e.g. "--out") and the folder.
    """
    folder = Path(path).absolute().parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise CourselabError(f"{option} {path}: {existing} is a file, not a folder: give a file "
                             "name in a folder")
    if not create:
        folder = existing
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CourselabError(f"{option} {path}: cannot write in {folder} ({exc.strerror}): "
                             "pick a folder you can write to") from None
