"""Start, talk to, and reliably kill the untrusted process (the trusted side).

One :class:`Sandbox` runs one student's code. Isolation, strongest first:

- a **dedicated numeric uid** (no passwd entry, no group): the process cannot
  read files private to root (the course, the gradebook) and, at the end,
  *every* process of that uid is killed (``kill(-1, SIGKILL)`` run as that uid),
  so nothing the student started survives grading, even after ``setsid``;
- its own **session** (process group) and, when the kernel allows it (root or
  CAP_SYS_ADMIN), its own **mount and network namespaces**: an empty private
  ``/tmp`` (the working directory), ``/var/tmp`` and ``/dev/shm``; the course's
  ``source/``, ``submitted/``, ``autograded/``, ``feedback/`` and the gradebook
  hidden behind empty mounts; no network;
- **resource limits** (address space, CPU seconds, processes, file size, open
  files) and a **wall-clock timeout** on every request;
- the **environment** of the instructor's shell minus anything naming the grader
  (``*GRAD*``, ``PYTEST*``, ``JPY_*``, ``JUPYTER*``, ``MLEKIT_*``), with ``HOME`` the working
  directory: a student's code sees what a local run sees.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from . import codec

SANDBOX_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox.py")

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 8192, 16384, 1 << 18

# variables that would tell the student's code it is being graded: the course's own MLEKIT_*
# (MLEKIT_STUDENT_ID is set in the trusted worker while test cells run, and a sandbox may be
# restarted from inside one; ./tasks test sets MLEKIT_BOOK_BUILD_STATUS) and the test tools'
_ENV_DROP = re.compile(r"GRAD|PYTEST|^JPY_|^JUPYTER|^COV_|^NBVAL|^MLEKIT_", re.IGNORECASE)


class SandboxDied(RuntimeError):
    """The untrusted process timed out, died, or answered garbage (it was killed)."""


@dataclass
class Limits:
    memory_mb: int = 2048        # RLIMIT_AS
    cpu_seconds: int = 120       # RLIMIT_CPU for the whole process
    processes: int = 64          # RLIMIT_NPROC (for the dedicated uid)
    file_mb: int = 16            # RLIMIT_FSIZE
    open_files: int = 256        # RLIMIT_NOFILE
    start_timeout: float = 30.0  # seconds to import and answer "ready"
    output_cap: int = 10_000     # characters of captured output kept per cell


@dataclass
class SandboxConfig:
    uid: int
    limits: Limits = field(default_factory=Limits)
    hide: tuple[str, ...] = ()               # paths to hide behind empty mounts
    forbidden: dict = field(default_factory=dict)  # student function -> reference targets
    namespaces: bool = True
    debug_stderr: str | None = None  # a file for the process's own stderr (debugging only)


def sandbox_env(workdir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not _ENV_DROP.search(k)}
    env["HOME"] = workdir
    env["PWD"] = workdir
    return env


def _paths_to_expose() -> list[tuple[str, str]]:
    """(path, private ancestor) for interpreter folders other users cannot reach."""
    out = []
    for path in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}:
        top, current = None, "/"
        for part in path.strip("/").split("/"):
            current = os.path.join(current, part)
            if not os.stat(current).st_mode & 0o001:
                top = current
                break
        if top is not None and top != "/tmp":
            out.append((path, top))
    return sorted(out)


def _tmp_paths_to_keep() -> list[str]:
    """Folders under /tmp that the student's process needs: the environment and our packages.

    The sandbox gets an empty private /tmp; a repository cloned under /tmp (as CI
    may do) would otherwise take its .venv, mlekit and autograder with it. Only
    these folders come back, never the course, and never a folder asked to be hidden.
    """
    import mlekit

    here = os.path.dirname(os.path.realpath(__file__))
    wanted = {os.path.realpath(sys.prefix), os.path.dirname(os.path.realpath(mlekit.__file__)), here}
    return sorted(p for p in wanted if p.startswith("/tmp/"))


def exposed_paths(paths) -> list[str]:
    """The paths another user could read: every ancestor searchable by others, the path readable."""
    out = []
    for path in paths:
        path = os.path.realpath(path)
        if not os.path.exists(path):
            continue
        current, reachable = "/", True
        for part in path.strip("/").split("/")[:-1]:
            current = os.path.join(current, part)
            if not os.stat(current).st_mode & 0o001:
                reachable = False
                break
        if reachable and os.stat(path).st_mode & 0o004:
            out.append(path)
    return out


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def namespaces_available() -> bool:
    """Whether this process may create mount+network namespaces (tested in a child)."""
    if os.geteuid() != 0:
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        ok = _libc().unshare(CLONE_NEWNS | CLONE_NEWNET) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (run as that uid: it can signal only its own)."""
    if uid == 0:
        raise ValueError("refusing to kill the processes of uid 0")
    for _ in range(5):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.setgid(65534)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            except BaseException:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
        if not processes_of_uid(uid):
            return
        time.sleep(0.05)


def processes_of_uid(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("State:") and "Z" in line.split()[1]:
                        break
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found


class Zygote:
    """A root process that imported numpy, scipy, IPython and mlekit once and forks sandboxes.

    One per worker process (and sandbox uid). Forking from it saves the ~1-2 s of
    imports per submission; each child isolates itself before running any
    student code (see ``_sandbox.isolate``).
    """

    _instances: dict = {}

    def __init__(self, cfg: SandboxConfig):
        import socket

        if os.geteuid() != 0:
            raise RuntimeError("the autograder must run as root to start sandboxes as another user")
        parent, child = socket.socketpair()
        self.sock = parent
        self.proc = subprocess.Popen(
            [sys.executable, SANDBOX_SCRIPT, str(child.fileno())], pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(cfg.debug_stderr, "ab") if cfg.debug_stderr else subprocess.DEVNULL,
            env=sandbox_env("/tmp/work"), cwd="/",
        )
        child.close()
        self.reader = parent.makefile("rb")

    @classmethod
    def get(cls, cfg: SandboxConfig) -> "Zygote":
        z = cls._instances.get(cfg.uid)
        if z is None or z.proc.poll() is not None:
            if z is not None:
                z.stop()
            z = cls._instances[cfg.uid] = cls(cfg)
        return z

    def fork(self, spec: dict, fds: list[int]) -> int:
        import json
        import socket

        socket.send_fds(self.sock, [json.dumps(spec).encode()], fds)
        line = self.reader.readline()
        if not line:
            raise SandboxDied("the sandbox zygote died")
        return int(json.loads(line)["pid"])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.reader.close()
        self.sock.close()

    @classmethod
    def stop_all(cls) -> None:
        for z in cls._instances.values():
            z.stop()
        cls._instances.clear()


class Sandbox:
    """One untrusted process; ``request`` sends a message and waits (with a timeout)."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.pid = None
        self._workdir = ""
        self.isolation = "uid+rlimits"
        self._req_w = self._resp_r = None
        self._next_id = 0
        self.callbacks: dict[int, object] = {}
        self.fn_names: dict[int, str] = {}

    # -- life cycle ---------------------------------------------------------
    def start(self) -> None:
        cfg, lim = self.config, self.config.limits
        use_ns = cfg.namespaces and os.geteuid() == 0
        if use_ns:
            workdir = "/tmp/work"
        else:
            import tempfile

            workdir = tempfile.mkdtemp(prefix="autograder-")
            os.chmod(workdir, 0o700)
        self._workdir = workdir
        scratch = ("/tmp/", "/var/tmp/", "/dev/shm/")  # replaced by empty tmpfs anyway
        hide = [os.path.realpath(p) for p in cfg.hide if os.path.exists(p)]
        keep = [p for p in _tmp_paths_to_keep() if not any(p == h or p.startswith(h + "/") for h in hide)]
        hide = [p for p in hide if not (use_ns and p.startswith(scratch))]
        spec = {"uid": cfg.uid, "workdir": workdir, "namespaces": use_ns, "hide": hide,
                "expose": _paths_to_expose() if use_ns else [], "env": sandbox_env(workdir),
                "keep_in_tmp": keep if use_ns else [],
                "limits": {k: getattr(lim, k) for k in ("memory_mb", "cpu_seconds", "processes", "file_mb",
                                                        "open_files")}}
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        try:
            self.pid = Zygote.get(cfg).fork(spec, [req_r, resp_w])
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req_w, self._resp_r = req_w, resp_r
        os.set_blocking(req_w, False)
        self.isolation = "uid+rlimits+namespaces" if use_ns else "uid+rlimits"
        deadline = time.monotonic() + lim.start_timeout
        try:
            self._send({"forbidden": cfg.forbidden, "output_cap": lim.output_cap}, deadline)
            ready = codec.read_message(self._resp_r, deadline)
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            self.kill()
            raise SandboxDied(f"the student's process did not start ({exc})") from None
        if not ready.get("ready"):
            self.kill()
            raise SandboxDied("the student's process did not start")

    def alive(self) -> bool:
        return self._resp_r is not None

    def kill(self) -> None:
        if self._resp_r is None and self._req_w is None:
            return
        if self.pid:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
        kill_uid(self.config.uid)
        for fd in (self._req_w, self._resp_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._req_w = self._resp_r = None
        if not self._workdir.startswith("/tmp/work"):
            import shutil

            shutil.rmtree(self._workdir, ignore_errors=True)

    # -- messages -----------------------------------------------------------
    def _send(self, message, deadline) -> None:
        import select

        data = memoryview(codec.dumps(message))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the student's process does not read its input")
            _, ready, _ = select.select([], [self._req_w], [], left)
            if not ready:
                continue
            try:
                n = os.write(self._req_w, data)
            except BlockingIOError:
                continue
            data = data[n:]

    def request(self, message: dict, timeout: float) -> dict:
        """Send one request and wait for its answer; on any failure the process is killed."""
        if not self.alive():
            raise SandboxDied("the student's process is not running")
        self._next_id += 1
        message = dict(message, id=self._next_id)
        deadline = time.monotonic() + timeout
        try:
            self._send(message, deadline)
            while True:
                answer = codec.read_message(self._resp_r, deadline)
                if answer.get("op") == "callback":
                    self._answer_callback(answer, deadline)
                    continue
                if answer.get("id") == self._next_id:
                    return answer
                # anything else is noise the student wrote on the channel: ignore it
        except TimeoutError:
            self.kill()
            raise SandboxDied(f"did not finish within {timeout:g} s (stopped)") from None
        except (EOFError, BrokenPipeError, OSError):
            self.kill()
            raise SandboxDied("the student's process died") from None
        except (ValueError, KeyError, TypeError):  # garbled framing or JSON
            self.kill()
            raise SandboxDied("the student's process wrote garbage on the grading channel") from None

    def _answer_callback(self, msg, deadline) -> None:
        fn = self.callbacks.get(msg.get("id"))
        try:
            args = codec.decode(msg.get("args"))
            kwargs = codec.decode(msg.get("kwargs"))
            if fn is None:
                raise ValueError("unknown callback")
            value = fn(*args, **kwargs)
            reply = {"value": codec.encode(value)}
        except Exception as exc:  # noqa: BLE001 - trusted callable failed: tell the student side
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        self._send(reply, deadline)

    def encode_args(self, value):
        def fn_name(v):
            return getattr(v, "_autograder_student_name", None)

        def callback_id(v):
            key = len(self.callbacks) + 1
            self.callbacks[key] = v
            return key

        return codec.encode(value, fn_name=fn_name, callback_id=callback_id)


def _describe_exit(code) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
