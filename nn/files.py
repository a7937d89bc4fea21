"""Files written and read safely: atomic writes, and a bounded reader of parameter files (.npz).

A write goes to a fresh temporary file in the destination's directory, which then replaces the
destination in one step (several files: once all are written), so a failed or killed write
never leaves a half-written file under the real name. The reader checks every declared size
against what the caller expects before it allocates or inflates anything, and never unpickles.
"""

import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np



class FileFormatError(ValueError):
    """A file that is not what its reader expects (a malformed, truncated or foreign file).
    The message names the file and what is wrong with it."""


# Everything the standard library can raise for a corrupt zip archive or npy header.
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            ValueError, TypeError, KeyError, SyntaxError, struct.error, OverflowError,
            RuntimeError, NotImplementedError, MemoryError, RecursionError)
_NUMERIC_KINDS = "biuf"
_MAX_LISTED = 20  # problems listed in one error


def read_arrays(path, expected):
    """{name: array} from an .npz file, reading only the members named in `expected` (a dict
    {name: shape}) and only once each member's declared dtype and shape match: numeric data of
    exactly the expected shape, so nothing larger than the caller's own arrays is allocated.

    Raises FileNotFoundError for a missing file, FileFormatError naming the file for anything
    that is not such an .npz (a single .npy, a corrupt archive or header, a member that is not an
    array, pickled objects, data shorter or longer than declared), and FileFormatError listing
    every name that is missing, unexpected, of the wrong shape or not numeric.
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            if file.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
                raise FileFormatError(f"load {path}: it holds a single array (.npy), not named "
                                      f"parameters (.npz)")
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                return _read_members(path, archive, expected)
    except (FileNotFoundError, IsADirectoryError, PermissionError, FileFormatError):
        raise
    except _CORRUPT as error:
        raise FileFormatError(f"load {path}: not a parameters file written by Module.save (an "
                              f".npz of numeric arrays): {type(error).__name__}: "
                              f"{str(error)[:200]}") from error


def _read_members(path, archive, expected):
    members = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else None
        if name is None:
            raise FileFormatError(f"load {path}: the member {_shown(info.filename)} is not an "
                                  f"array (.npy); this is not a parameters file")
        if name in members:
            raise FileFormatError(f"load {path}: the name {_shown(name)} appears twice")
        members[name] = info
    headers = {name: _header(path, archive, info) for name, info in members.items()
               if name in expected}
    problems = [f"missing in the file: {name}" for name in expected if name not in members]
    problems += [f"not in this model: {_shown(name)}" for name in members if name not in expected]
    for name, (dtype, shape, _, _) in headers.items():
        if dtype.kind not in _NUMERIC_KINDS:
            problems.append(f"{name}: the file holds {dtype} values, not numbers")
        elif shape != tuple(expected[name]):
            problems.append(f"{name}: the file has shape {shape}, the model "
                            f"{tuple(expected[name])}")
    if problems:
        shown = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            shown.append(f"... and {len(problems) - _MAX_LISTED} more")
        raise FileFormatError(f"load {path}: the parameters do not match this model; nothing "
                              f"was loaded:\n  " + "\n  ".join(shown))
    return {name: _data(path, archive, members[name], *header)
            for name, header in headers.items()}


def _shown(name):
    """A member's name as it can be shown on one line: as is, or its repr, cut to 80 characters."""
    return (name if name.isprintable() else repr(name))[:80]


def _header(path, archive, info):
    """(dtype, shape, fortran_order, header length) of one .npy member, data not read."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise FileFormatError(f"load {path}: {_shown(info.filename)}: npy format version "
                                  f"{version} is not supported (1.0 and 2.0 are)")
        return dtype, tuple(shape), fortran, member.tell()


def _data(path, archive, info, dtype, shape, fortran, offset):
    """The array of one member whose header was checked: exactly the declared bytes, no more."""
    size = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if info.file_size != offset + size:
        raise FileFormatError(f"load {path}: {_shown(info.filename)}: the header declares "
                              f"{size} bytes of data but the member holds "
                              f"{info.file_size - offset}")
    with archive.open(info) as member:
        member.seek(offset)
        raw = member.read(size)  # bounded by the caller's own array size
    if len(raw) != size:
        raise FileFormatError(f"load {path}: {_shown(info.filename)}: truncated data "
                              f"({len(raw)} of {size} bytes)")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.astype(dtype.newbyteorder("="), order="C")
