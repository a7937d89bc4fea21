"""Writing files so that a failure never leaves a half-written one (the command lines and
`nn.Module.save` use it)."""

import os
import tempfile
from pathlib import Path


def write_atomically(files):
    """Write several files as one: `files` maps each path to a function `write(binary_file)`.
    Each is written to a fresh temporary file beside its path; only when all of them are
    written does each replace its path (os.replace, one step each). On any failure the
    temporary files are removed and every path is left as it was. New files get the
    permissions a plain open() would give them."""
    files = {Path(path): write for path, write in files.items()}
    for path in files:
        if not path.parent.is_dir():
            raise FileNotFoundError(f"write {path}: the directory {path.parent} does not exist")
    temporaries = {}
    try:
        for path, write in files.items():
            descriptor, temporaries[path] = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
            with os.fdopen(descriptor, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporaries[path], 0o666 & ~_umask())  # mkstemp makes it private (0600)
        for path in files:
            os.replace(temporaries[path], path)
            del temporaries[path]  # (after the replace: a failed one still removes it)
    finally:
        for temporary in temporaries.values():
            Path(temporary).unlink(missing_ok=True)


def _umask():
    """The process's umask, read without changing it (Linux); 022 where it cannot be read."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 0o022
