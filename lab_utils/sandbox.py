"""The box a student's kernel runs in when ``python -m lab_utils.grade`` grades it (Linux).

The grader starts each kernel through this module:

    python -m lab_utils.sandbox --memory 4G --cpu 1800 --file-size 256M --processes 512 -- python -m ipykernel ...

and before the kernel starts it:

- ties the kernel to the grader's worker (it is killed when the worker dies, however it dies);
- limits memory and the number of processes with a cgroup (as root; v1 or v2), else memory with ``RLIMIT_AS``
  and processes with ``RLIMIT_NPROC``; CPU seconds and the size of any file written with resource limits;
- as root, puts the kernel in a new PID namespace, so that when the kernel ends every process it left behind
  (a daemon that detached from its session included) ends with it and it sees no process but its own; in a new
  network namespace with no interface up (no network at all); and in a new mount namespace where every file system
  is read-only but the folders given with ``--writable``, the folders given with ``--hide`` are empty, those of
  ``--overlay`` show another folder's files (the grader's copy of lab_utils, without answers), and the
  kernel, though still user root, holds no capability (it cannot mount, trace or signal anything outside).

What it could not do (not root, no cgroup) it writes as one line to the file ``--report``, which the grader shows
in that student's row once. The kernel's environment is the grader's business (``lab_utils.grade`` scrubs it).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import signal
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def parse_size(text):
    """Bytes from ``"4G"``, ``"512M"`` or a plain number.

    Example:
        >>> parse_size("1.5G")
        1610612736
    """
    text = str(text).strip().upper().removesuffix("B")
    unit = text[-1:] if text[-1:] in UNITS and not text[-1:].isdigit() else ""
    try:
        value = float(text[:len(text) - len(unit)]) * UNITS[unit]
    except ValueError:
        raise ValueError(f"{text!r} is not a size: write it like 4G, 512M or 1000000.") from None
    if value <= 0:
        raise ValueError(f"{text!r}: a size must be positive.")
    return int(value)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """Ask Linux to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _mount(source, target, fstype, flags, data=None):
    def encoded(text):
        return None if text is None else str(text).encode()

    if _libc().mount(encoded(source), encoded(target), encoded(fstype), flags, encoded(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _mount_points():
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), point))
    return points


def lock_files(writable, hide, overlays=()):
    """In this process's own mount namespace: ``hide`` folders emptied, each ``(source, target)`` of ``overlays``
    shown in place of its target, everything read-only but ``writable``."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for source, target in overlays:
        _mount(source, target, None, MS_BIND)
    for folder in writable:
        _mount(folder, folder, None, MS_BIND)
    for folder in hide:
        if Path(folder).is_dir():
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k")
    keep = {str(Path(f)) for f in writable}
    for point in _mount_points():
        if point in keep or point == "/proc" or point.startswith("/proc/"):
            continue
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        except OSError:
            pass  # a mount that refuses (rare): left as it was


def drop_capabilities():
    """Give up every capability for good: root without them cannot remount, trace or kill outside its files' rights."""
    libc = _libc()
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


# --------------------------------------------------------------------------- cgroups

def _own_cgroup(controller):
    """The folder of this process's cgroup for ``controller`` (v1), or the unified one (v2); None if not writable."""
    root = Path("/sys/fs/cgroup")
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = root / controller / path.lstrip("/")
            return folder if os.access(folder, os.W_OK) else None
    unified = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)
    if unified is not None and (root / "cgroup.controllers").exists():
        folder = root / unified.lstrip("/")
        return folder if os.access(folder, os.W_OK) else None
    return None


def make_cgroups(name, memory, processes):
    """Create cgroups named ``name`` with the memory and process limits and move this process into them; returns the
    controllers it could not limit with them (``"memory"``, ``"pids"``). The caller removes them (remove_cgroups)."""
    missing = []
    for controller, files in [("memory", [("memory.limit_in_bytes", memory), ("memory.max", memory),
                                          ("memory.memsw.limit_in_bytes", memory), ("memory.swap.max", 0)]),
                              ("pids", [("pids.max", processes)]),
                              ("cpuacct", [])]:  # no limit: it counts the CPU time the cell timeout is measured in
        parent = _own_cgroup(controller)
        if parent is None:
            missing.append(controller)
            continue
        folder = parent / name
        try:
            folder.mkdir(exist_ok=True)
            wrote = not files
            for file, value in files:
                if (folder / file).exists():
                    try:
                        (folder / file).write_text(str(value))
                        wrote = True
                    except OSError:
                        pass  # e.g. no swap accounting: the main limit still holds
            (folder / "cgroup.procs").write_text(str(os.getpid()))
            if not wrote:
                missing.append(controller)
        except OSError:
            missing.append(controller)
    return missing


def remove_cgroups(name, wait=10.0):
    """Remove the cgroups ``make_cgroups(name, ...)`` made, once the processes in them have ended (up to ``wait`` s)."""
    import time

    deadline = time.monotonic() + wait
    for controller in ("memory", "pids", "cpuacct"):
        parent = _own_cgroup(controller)
        while parent is not None and (parent / name).is_dir():
            try:
                (parent / name).rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)


def processes_in(name):
    """How many processes the cgroups ``name`` hold now (the box's own included), or 0 where there are none."""
    for controller in ("pids", "memory"):
        parent = _own_cgroup(controller)
        if parent is not None and (parent / name / "cgroup.procs").exists():
            return len((parent / name / "cgroup.procs").read_text().split())
    return 0


def cpu_seconds(name):
    """CPU seconds the processes of the cgroups ``name`` have used (all their threads, the ended ones included),
    or None where no cgroup counts them (not root, or no cpuacct controller): the grader's cell timeout is
    measured in this, so that an honest cell on a loaded machine (waiting for a core) does not time out.

    Example::

        >>> cpu_seconds("no-such-cgroup") is None
        True
    """
    parent = _own_cgroup("cpuacct")
    if parent is None:
        return None
    try:
        if (parent / name / "cpuacct.usage").exists():  # v1: nanoseconds
            return int((parent / name / "cpuacct.usage").read_text()) / 1e9
        for line in (parent / name / "cpu.stat").read_text().splitlines():  # v2: microseconds
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    except (OSError, ValueError):
        return None
    return None


def cgroup_events(name):
    """What the cgroups ``name`` saw: ``{"memory_hit": bool, "processes_hit": bool, "peak_memory": bytes or None}``."""
    seen = {"memory_hit": False, "processes_hit": False, "peak_memory": None}
    memory, pids = _own_cgroup("memory"), _own_cgroup("pids")
    if memory is not None and (memory / name).is_dir():
        folder = memory / name
        for file in ("memory.oom_control", "memory.events"):  # v1, v2: how many processes the limit killed
            try:
                text = (folder / file).read_text()
            except OSError:
                continue
            seen["memory_hit"] |= any(len(line.split()) == 2 and line.split()[0] == "oom_kill" and
                                      int(line.split()[1]) > 0 for line in text.splitlines())
        for file in ("memory.max_usage_in_bytes", "memory.peak"):
            try:
                seen["peak_memory"] = int((folder / file).read_text().strip())
            except (OSError, ValueError):
                pass
    if pids is not None and (pids / name).is_dir():
        try:
            events = (pids / name / "pids.events").read_text().split()
            seen["processes_hit"] = len(events) >= 2 and int(events[1]) > 0
        except (OSError, ValueError):
            pass
    return seen


# --------------------------------------------------------------------------- the launcher

def _exit_code(status):
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell says


def _start(command, args, not_limited):
    """In the kernel's process: its resource limits, then the kernel itself."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CPU, (args.cpu, args.cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_size, args.file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if "memory" in not_limited:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    if "pids" in not_limited:
        resource.setrlimit(resource.RLIMIT_NPROC, (args.processes, args.processes))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with an error instead of a kill
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lab_utils.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=parse_size, default=parse_size("4G"))
    parser.add_argument("--cpu", type=int, default=1800, help="CPU seconds (all threads together)")
    parser.add_argument("--file-size", type=parse_size, default=parse_size("256M"))
    parser.add_argument("--processes", type=int, default=512, help="processes and threads at once")
    parser.add_argument("--cgroup", help="name of the cgroups to make (the caller removes them with remove_cgroups); "
                                          "without it, memory and processes are limited by setrlimit")
    parser.add_argument("--report", help="file for one line saying what could not be limited")
    parser.add_argument("--writable", action="append", default=[], help="a folder the kernel may write (repeat)")
    parser.add_argument("--hide", action="append", default=[], help="a folder the kernel must not see (repeat)")
    parser.add_argument("--overlay", action="append", default=[], metavar="SOURCE:TARGET",
                        help="a folder shown to the kernel in place of another (repeat)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command after --")

    die_with_parent()
    missing = []
    root = os.geteuid() == 0
    if root and args.cgroup:
        not_limited = make_cgroups(args.cgroup, args.memory, args.processes)
    else:
        not_limited = ["memory", "pids", "cpuacct"]
    namespaces = False
    if root and _libc().unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS) == 0:
        namespaces = True
    else:
        missing.append("no network, process or file isolation (needs root on Linux)")
    if "memory" in not_limited and args.cgroup:
        missing.append("memory limited by RLIMIT_AS, not a cgroup")
    if "pids" in not_limited and args.cgroup:
        missing.append("processes limited by RLIMIT_NPROC" + (", which root ignores" if root else ""))
    if "cpuacct" in not_limited and args.cgroup:
        missing.append("cell timeout in wall time, not CPU time (no CPU accounting cgroup)")
    if args.report and missing:
        Path(args.report).write_text("; ".join(missing) + "\n")

    child = os.fork()
    if child == 0:  # PID 1 of the kernel's namespace, when there is one: locks the files, starts the kernel, waits
        die_with_parent()
        if namespaces:
            overlays = [tuple(str(Path(p).resolve()) for p in o.split(":", 1)) for o in args.overlay]
            lock_files([str(Path(f).resolve()) for f in args.writable], [str(Path(f).resolve()) for f in args.hide],
                       overlays)
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            os.chdir(os.getcwd())  # onto the writable bind mount, if the kernel starts in one
            drop_capabilities()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel gets its interrupt from its process group
        waiter = os.fork()
        if waiter == 0:  # the kernel's parent: ipykernel takes a parent of PID 1 for a dead one and exits
            die_with_parent()
            kernel = os.fork()
            if kernel == 0:
                _start(command, args, not_limited)
            os._exit(_exit_code(os.waitpid(kernel, 0)[1]))
        while True:  # PID 1 reaps whatever ends; when the kernel has, it ends, and the whole namespace with it
            try:
                pid, status = os.wait()
            except ChildProcessError:
                os._exit(0)
            if pid == waiter:
                os._exit(_exit_code(status))

    # The launcher: jupyter_client signals the process group (the kernel is in it); SIGTERM ends the kernel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGKILL))
    _, status = os.waitpid(child, 0)  # the namespace's PID 1 has ended: Linux kills every process left in it
    return os.waitstatus_to_exitcode(status) if status else 0


if __name__ == "__main__":
    sys.exit(main())
