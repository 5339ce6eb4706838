"""Per-sandbox limits that hold for the sandbox as a whole: memory and processes (cgroups).

``RLIMIT_AS`` bounds one process; a submission that forks children could hold
several times the limit. A cgroup bounds the sandbox: every process the student
starts is in it, with ``memory.max``/``pids.max`` (cgroup v2) or
``memory.limit_in_bytes``/``pids.max`` (cgroup v1). The grader also reads from it
whether the kernel's OOM killer acted (the student hit the memory limit) and,
without namespaces, uses it to freeze and kill everything the student started.

Where cgroups cannot be written (a container with a read-only ``/sys/fs/cgroup``,
a cgroup v2 parent that does not delegate the controllers), :func:`create`
returns ``None`` and the sandbox keeps its per-process limits; the report's
``isolation`` column says which were in force.

Tested here on cgroup v1 (the test machine's kernel mounts memory, pids and
freezer as v1 hierarchies); the v2 branch follows the kernel's documented
interface (``Documentation/admin-guide/cgroup-v2.rst``) and is not exercised by
the test suite.
"""

from __future__ import annotations

import os
import signal
import time

_ROOTS: dict | None = None


def _mounts() -> dict:
    """{"v2": mountpoint} or {"memory": mp, "pids": mp, "freezer": mp} for the writable hierarchies."""
    global _ROOTS
    if _ROOTS is not None:
        return _ROOTS
    roots: dict = {}
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        point, mount_opts, fstype, super_opts = fields[4], fields[5], tail[0], tail[2]
        if "ro" in mount_opts.split(","):
            continue
        if fstype == "cgroup2":
            roots.setdefault("v2", point)
        elif fstype == "cgroup":
            for controller in ("memory", "pids", "freezer"):
                if controller in super_opts.split(","):
                    roots.setdefault(controller, point)
    _ROOTS = roots
    return roots


def _own_path(controller: str | None) -> str:
    """This process's cgroup path in the hierarchy of ``controller`` (None: cgroup v2)."""
    with open("/proc/self/cgroup", encoding="utf-8") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            names = controllers.split(",") if controllers else []
            if (controller is None and not names) or (controller is not None and controller in names):
                return path
    return "/"


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class Cgroup:
    """The cgroup(s) of one sandbox."""

    def __init__(self, dirs: dict, version: int):
        self.dirs, self.version = dirs, version  # {"memory": path, "pids": path, ...} or {"v2": path}

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    @property
    def description(self) -> str:
        return "cgroup v2 (memory, pids)" if self.version == 2 else \
            "cgroup v1 (" + ", ".join(k for k in ("memory", "pids") if k in self.dirs) + ")"

    def pids(self) -> set[int]:
        out: set[int] = set()
        for path in self.procs_files:
            try:
                with open(path) as fh:
                    out.update(int(x) for x in fh.read().split())
            except OSError:
                pass
        return out

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer ended in this cgroup."""
        path = os.path.join(self.dirs["v2"], "memory.events") if self.version == 2 else \
            os.path.join(self.dirs.get("memory", ""), "memory.oom_control")
        try:
            with open(path) as fh:
                for line in fh:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def _freeze(self, frozen: bool) -> bool:
        if self.version == 2:
            path = os.path.join(self.dirs["v2"], "cgroup.freeze")
            value = "1" if frozen else "0"
        elif "freezer" in self.dirs:
            path = os.path.join(self.dirs["freezer"], "freezer.state")
            value = "FROZEN" if frozen else "THAWED"
        else:
            return False
        try:
            _write(path, value)
            return True
        except OSError:
            return False

    def kill(self, deadline: float) -> bool:
        """SIGKILL everything in the cgroup (frozen first: nothing can fork meanwhile). True if empty."""
        if self.version == 2:
            try:
                _write(os.path.join(self.dirs["v2"], "cgroup.kill"), "1")
            except OSError:
                pass
        while True:
            pids = self.pids()
            if not pids:
                self._freeze(False)
                return True
            if time.monotonic() > deadline:
                self._freeze(False)
                return False
            self._freeze(True)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._freeze(False)  # a frozen task only dies once thawed
            time.sleep(0.005)

    def remove(self) -> None:
        for path in sorted(self.dirs.values(), key=len, reverse=True):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def create(name: str, *, memory_mb: int, processes: int) -> Cgroup | None:
    """A fresh cgroup for one sandbox, or None where none can be made (see module docstring)."""
    if os.geteuid() != 0:
        return None
    roots = _mounts()
    made: dict = {}
    try:
        if "memory" in roots and "pids" in roots:
            for controller in ("memory", "pids", "freezer"):
                if controller not in roots:
                    continue
                parent = os.path.join(roots[controller], _own_path(controller).lstrip("/"), "autograder")
                os.makedirs(parent, exist_ok=True)
                path = os.path.join(parent, name)
                os.mkdir(path)
                made[controller] = path
            limit = str(memory_mb << 20)
            _write(os.path.join(made["memory"], "memory.limit_in_bytes"), limit)
            memsw = os.path.join(made["memory"], "memory.memsw.limit_in_bytes")
            if os.path.exists(memsw):
                _write(memsw, limit)  # no escape into swap
            _write(os.path.join(made["pids"], "pids.max"), str(processes))
            return Cgroup(made, 1)
        if "v2" in roots:
            parent = os.path.join(roots["v2"], _own_path(None).lstrip("/"))
            with open(os.path.join(parent, "cgroup.subtree_control")) as fh:
                enabled = set(fh.read().split())
            if not {"memory", "pids"} <= enabled:
                _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
            path = os.path.join(parent, name)
            os.mkdir(path)
            made["v2"] = path
            _write(os.path.join(path, "memory.max"), str(memory_mb << 20))
            swap = os.path.join(path, "memory.swap.max")
            if os.path.exists(swap):
                _write(swap, "0")
            _write(os.path.join(path, "pids.max"), str(processes))
            return Cgroup(made, 2)
    except OSError:
        Cgroup(made, 1).remove()
        return None
    return None
