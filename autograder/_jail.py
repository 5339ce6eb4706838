"""Build the sandbox a student's code runs in (trusted code, run as root in the forked child).

Imported by the zygote (:mod:`autograder._sandbox`) by path, so it uses only the
standard library. Everything here runs *before* any student code, as root, in
the processes the zygote forks for one sandbox::

    zygote ──fork──► monitor (root, host PID namespace; the grader holds a pidfd to it)
                        │  joins the sandbox's cgroups, unshares mount, PID, network,
                        │  IPC and UTS namespaces
                        └──fork──► init (root, PID 1 of the new namespace)
                                     │  builds the sandbox's file system (below),
                                     │  pivots into it, reaps orphans, reports the
                                     │  student's exit status on the status pipe
                                     └──fork──► student (a dedicated uid, no
                                                capabilities, no_new_privs, rlimits)

**Capabilities are taken away, not listed.** The sandbox's root file system is
a new, empty tmpfs; only what the student's process needs is bind-mounted into
it, read-only: the system's ``/usr`` (and the ``/bin``, ``/lib`` links or
folders of the host), a short list of ``/etc`` files, the interpreter's
folders (``sys.base_prefix``, ``sys.prefix``, the site-packages folders) and,
when it is importable, the ``mlekit`` package folder. The course, the
repository (``.git``, ``nbgrader_config.py``), home folders, ``/run``, the host's
``/tmp``, ``/var``, ``/srv``, ... simply are not there. Paths inside an exposed
tree that must stay hidden (an nbgrader exchange under ``/usr/local/share``, a
course kept under ``/usr``) get an empty mount on top. Writable are only fresh,
size-capped tmpfs mounts (``/tmp``, ``/var/tmp``, ``/dev/shm``), private to
this sandbox and gone with it.

**Killing is done by the kernel.** The student's processes live in a PID
namespace whose init is trusted; when the grader kills the monitor (through a
pidfd, so a recycled pid cannot be hit), init gets ``SIGKILL`` from
``PR_SET_PDEATHSIG`` and the kernel kills every process of the namespace. No
process the student controls can block or outrun that (a ``SIGSTOP``-ed or
forking process dies all the same).

Without namespaces (a container without ``CAP_SYS_ADMIN``), the same three
processes run in the host's namespaces: the student's process still gets a
fresh uid, limits and a private working folder, and the grader kills by cgroup
or by uid (see :mod:`autograder.sandbox`); what that mode cannot guarantee is
listed in ``autograder/README.md``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import platform
import resource
import select
import signal
import stat
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}.get(platform.machine())

# /etc entries a Python process may need; everything else of /etc stays out
# (nbgrader and Jupyter configuration, database service files, ssh, ...).
ETC_ALLOW = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "nsswitch.conf",
             "passwd", "group", "hosts", "mime.types", "alternatives", "fonts", "os-release",
             "debian_version", "matplotlibrc", "python3", "python3.11", "python3.12", "python3.13")
SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
# Exit codes of init when it could not build the sandbox (no student code ran yet).
EXIT_SETUP = 70

_libc = None


class SetupError(RuntimeError):
    """The sandbox could not be built (a grader failure, never the student's)."""


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None, what="mount"):
    _check(libc().mount(None if source is None else source.encode(), target.encode(),
                        None if fstype is None else fstype.encode(), flags,
                        None if data is None else data.encode()), f"{what} {target}")


def prctl(option, value):
    _check(libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


# ---------------------------------------------------------------- the file system

def _makedirs(path):
    os.makedirs(path, mode=0o755, exist_ok=True)


def _mountpoint(root, path, like):
    """Create the mount point for ``like`` (a host path) at ``root + path``."""
    target = root + path
    if os.path.isdir(like):
        _makedirs(target)
    else:
        _makedirs(os.path.dirname(target))
        if not os.path.exists(target):
            with open(target, "w"):
                pass
    return target


def _plan_path(path, plan, depth=0):
    """Add to ``plan`` what re-creates host ``path`` in the new root: the symlinks met on the
    way (as symlinks) and one read-only bind of the real file or folder at the end."""
    if depth > 40:
        raise SetupError(f"too many symbolic links resolving {path}")
    current = "/"
    parts = [p for p in os.path.normpath(path).split("/") if p]
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        if os.path.islink(current):
            target = os.readlink(current)
            plan.append(("symlink", current, target))
            resolved = os.path.normpath(os.path.join(os.path.dirname(current), target))
            rest = "/".join(parts[i + 1:])
            _plan_path(os.path.join(resolved, rest) if rest else resolved, plan, depth + 1)
            return
        if not os.path.exists(current):
            return  # nothing to expose
    plan.append(("bind", current, None))


def mount_plan(expose):
    """Ordered (kind, path, target) steps: symlinks, then binds from the outermost folder in."""
    plan = []
    for path in expose:
        _plan_path(path, plan)
    symlinks = {p: t for kind, p, t in plan if kind == "symlink"}
    binds = sorted({p for kind, p, _ in plan if kind == "bind"}, key=lambda p: (p.count("/"), p))
    kept = []
    for path in binds:  # a folder inside an already exposed folder comes with it
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [("symlink", p, t) for p, t in sorted(symlinks.items())] + [("bind", p, None) for p in kept]


def _mounts_below(root):
    """Mount points of this namespace that lie in the tree mounted last on ``root`` (octal escapes
    decoded); mounts of the host hidden under that tree are not among them."""
    rows = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            fields = line.split()
            point = fields[4]
            if "\\" in point:
                point = point.encode("latin-1", "surrogateescape").decode("unicode_escape")
            rows.append((int(fields[0]), int(fields[1]), point))
    top = [mid for mid, _, point in rows if point == root]
    if not top:
        raise SetupError(f"the new root {root} is not a mount point")
    inside, children = {top[-1]}, {}
    for mid, parent, point in rows:
        children.setdefault(parent, []).append((mid, point))
    out, stack = [], [top[-1]]
    while stack:
        for mid, point in children.get(stack.pop(), []):
            if mid not in inside:
                inside.add(mid)
                out.append(point)
                stack.append(mid)
    return out


def choose_base(avoid):
    """A host folder to mount the new root on: it must not contain anything to expose."""
    for base in ("/mnt", "/media", "/srv", "/opt", "/boot", "/home", "/var/empty", "/run", "/tmp", "/dev/shm"):
        if os.path.isdir(base) and not os.path.islink(base) and not any(
                a == base or a.startswith(base + "/") for a in avoid):
            return base
    raise SetupError("no folder to build the sandbox's root in (every candidate holds a path to expose)")


def build_root(spec):
    """Build the sandbox's root file system and pivot into it (in the new mount namespace)."""
    expose = list(spec["expose"])
    for tree in SYSTEM_TREES:
        if os.path.lexists(tree):
            expose.append(tree)
    for name in ETC_ALLOW:
        if os.path.lexists(os.path.join("/etc", name)):
            expose.append(os.path.join("/etc", name))
    plan = mount_plan(expose)
    data = spec.get("data_files", [])
    root = choose_base([p for _, p, _ in plan] + [src for src, _ in data])

    mount(None, "/", None, MS_REC | MS_PRIVATE, what="make private")
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755", what="root tmpfs on")
    # the scratch mounts first: what is exposed under /tmp (a clone in a `mktemp -d` folder) goes on top
    scratch = spec["scratch_mb"]
    for path, size in (("/dev/shm", scratch), ("/tmp", scratch), ("/var/tmp", max(1, scratch // 4))):
        _makedirs(root + path)
        mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={size}m,mode=1777",
              what="scratch tmpfs on")
    for kind, path, target in plan:
        if kind == "symlink":
            _makedirs(os.path.dirname(root + path))
            if not os.path.lexists(root + path):
                os.symlink(target, root + path)
    for kind, path, _ in plan:
        if kind == "bind":
            mount(path, _mountpoint(root, path, path), None, MS_BIND | MS_REC, what="expose")
    # /dev: the harmless devices, a private /dev/shm
    _makedirs(root + "/dev")
    for dev in DEVICES:
        if os.path.exists("/dev/" + dev):
            mount("/dev/" + dev, _mountpoint(root, "/dev/" + dev, "/dev/" + dev), None, MS_BIND, what="device")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    _makedirs(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, what="proc on")
    # the working folder: the assignment's data files (read-only copies), owned by the student
    workdir = root + spec["workdir"]
    os.makedirs(workdir, mode=0o700)
    copy_data_files(data, workdir)
    os.chown(workdir, spec["uid"], spec["gid"])
    # what must stay hidden inside an exposed tree (an exchange under /usr/local, a course under /usr);
    # a hidden path that merely holds exposed folders (a course folder with its .venv) shows only those
    binds = [p for kind, p, _ in plan if kind == "bind"]
    for path in spec.get("hide", []):
        if not any(path.startswith(b.rstrip("/") + "/") for b in binds):
            continue
        target = root + path
        if os.path.isdir(target) and not os.path.islink(target):
            mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000", what="hide")
        elif os.path.isfile(target) and not os.path.islink(target):
            mount("/dev/null", target, None, MS_BIND, what="hide")
    # read-only everywhere except the scratch mounts (submounts of exposed trees included)
    writable = {root + p for p in ("/dev/shm", "/tmp", "/var/tmp", "/proc")}
    devices = {root + "/dev/" + d for d in DEVICES}
    for point in _mounts_below(root):
        if point not in writable and not point.startswith(root + "/proc/"):
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if point in devices else MS_NODEV)
            if libc().mount(None, point.encode(), None, flags, None) != 0:
                # a mount whose flags are locked (e.g. noexec from the host) keeps them; retry with them
                mount(None, point, None, flags | MS_NOEXEC, what="read-only remount of")
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4m,mode=0755",
          what="read-only root")
    pivot(root)


def pivot(root):
    if SYS_PIVOT_ROOT is None:
        raise SetupError(f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    # pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the new root
    _check(libc().syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(libc().umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")


def copy_data_files(data, workdir, *, owner=None):
    """Read-only copies of the assignment's files (instructor's, never the submission's)."""
    for source, rel in data:
        dest = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
            try:
                while True:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        break
                    os.write(out, chunk)
            finally:
                os.close(out)
        finally:
            os.close(fd)
        if owner is not None:
            os.chown(dest, *owner)


# ---------------------------------------------------------------- the three processes

def _write_status(fd, payload):
    try:
        os.write(fd, (json.dumps(payload) + "\n").encode())
    except OSError:
        pass


def drop_privileges(spec):
    """In the student's process: limits, no privileges, the dedicated uid, a clean environment."""
    lim = spec["limits"]
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_seconds"], lim["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["file_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["processes"],) * 2)
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # if the sandbox runs out of memory, the student's process goes first
    except OSError:
        pass
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # no setuid binary can give privileges back
    os.setgroups([])
    os.setgid(spec["gid"])
    os.setuid(spec["uid"])
    if os.getuid() != spec["uid"] or os.geteuid() != spec["uid"]:
        raise SetupError("could not drop to the sandbox uid")
    os.umask(0o077)
    os.chdir(spec["workdir"])
    os.environ.clear()
    os.environ.update(spec["env"])


def _init(spec, channel, status_w, life_r):
    """PID 1 of the sandbox (root): build the root, start the student's process, reap, report."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([life_r], [], [], 0)[0]:  # the monitor died before PDEATHSIG was armed
            os._exit(EXIT_SETUP)
        if spec["namespaces"]:
            build_root(spec)
            libc().sethostname(b"sandbox", 7)
        else:
            os.makedirs(spec["workdir"], mode=0o700, exist_ok=True)
            copy_data_files(spec.get("data_files", []), spec["workdir"], owner=(0, 0))
            os.chown(spec["workdir"], spec["uid"], spec["gid"])
    except BaseException as exc:  # noqa: BLE001 - reported to the grader, never the student's fault
        _write_status(status_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
        os._exit(EXIT_SETUP)
    student = os.fork()
    if student == 0:
        try:
            os.close(life_r)
            drop_privileges(spec)
        except BaseException as exc:  # noqa: BLE001
            _write_status(status_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
            os._exit(EXIT_SETUP)
        os.close(status_w)  # before any student code: the status pipe is the trusted side's only
        return True  # the caller serves the student's requests in this process
    for fd in channel:
        os.close(fd)
    while True:  # reap everything; end (and with it the namespace) when the student's process ends
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if pid == student:
            if os.WIFSIGNALED(status):
                _write_status(status_w, {"signal": os.WTERMSIG(status)})
            else:
                _write_status(status_w, {"exit": os.WEXITSTATUS(status)})
            os._exit(0)


def start(spec, channel, status_w):
    """Run in the zygote's fresh child (the monitor). Returns only in the student's process."""
    os.setsid()
    for path in spec.get("cgroup_procs", []):
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
    life_r, life_w = os.pipe()
    if spec["namespaces"]:
        _check(libc().unshare(NAMESPACES), "unshare namespaces")
    child = os.fork()
    if child == 0:
        os.close(life_w)
        if _init(spec, channel, status_w, life_r):
            return
        os._exit(0)  # pragma: no cover - _init never returns in init
    os.close(life_r)
    for fd in channel:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        # init was killed by something other than the student (who cannot signal it): a grader failure
        _write_status(status_w, {"init_signal": os.WTERMSIG(status)})
    os._exit(0)
