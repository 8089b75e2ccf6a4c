"""Files written whole or not at all: the one way the kit, the grader and the benchmarks write a file.

A reader never sees half a file, and a run stopped half-way (Ctrl-C, a full disk, a failed checksum) leaves the old
file as it was: the bytes go to a temporary file beside the target, renamed over it only once they are all there.

Example:
    >>> from lab_utils.files import replacing, write_atomic
    >>> write_atomic("results/scores.json", '{"lenet": 0.98}\\n')
    >>> with replacing("results/plot.png") as tmp:  # for writers that want a file name
    ...     fig.savefig(tmp)
"""

import os
import secrets
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path):
    """A new temporary file beside ``path`` (same suffix, so that writers that go by it still can), renamed over
    ``path`` when the block ends, deleted if it raises. The folder is made if needed; the file gets the usual
    permissions (the umask's), not a temporary file's private ones.

    Example:
        >>> with replacing("out/summary.png") as tmp:
        ...     fig.savefig(tmp, dpi=100)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # a name no one else holds
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path, data):
    """Write ``data`` (text, as UTF-8 with its line endings kept, or bytes) to ``path``, whole or not at all.

    Example:
        >>> write_atomic("grades/grades.csv", "student,total\\nalice,6\\n")
    """
    with replacing(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8", newline="")
