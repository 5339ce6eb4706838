"""Start, talk to, and reliably kill the untrusted process (the trusted side).

One :class:`Sandbox` runs one student's code (the untrusted side is
:mod:`autograder._sandbox`; how it is built is in :mod:`autograder._jail`).

Isolation, when the kernel allows namespaces (root with ``CAP_SYS_ADMIN``):

- **file system by allow-list**: a new root with only the system's ``/usr``
  (``/bin``, ``/lib``), a few ``/etc`` files, the interpreter and site-packages
  and the ``mlekit`` package, read-only; fresh size-capped tmpfs for ``/tmp`` (the
  working folder), ``/var/tmp``, ``/dev/shm``. The course, the repository and
  everything else of the host are not there;
- **new PID, IPC, UTS, network and mount namespaces**: no network, no shared
  memory or message queues with other students, only its own processes visible;
- **cgroup** limits for the whole sandbox (memory, processes) where the cgroup
  file system is writable, and per-process rlimits (address space, CPU, file
  size, open files, no core files);
- a **dedicated numeric uid** (no passwd entry), no capabilities, ``no_new_privs``;
- **environment by allow-list** (:func:`sandbox_env`);
- **killing by the kernel**: SIGKILL to the sandbox's monitor (through a pidfd)
  takes the PID namespace and everything in it down.

Without namespaces, the fallback (``uid+rlimits``) is described in
``autograder/README.md``: a fresh uid per sandbox, a private working folder,
cgroup or uid-based killing, and the paths the interpreter needs reachable
through temporary traverse-only ACL entries (:mod:`autograder.fallback`).

Every failure is classified: the student's process ended (its exit, a signal,
a limit it hit) or timed out is the **student's**; a sandbox that could not be
built, a zygote that died, a fork the kernel refused, init killed from outside
are the **grader's** (:attr:`SandboxDied.grader`), which the grading command
retries and otherwise reports as ``ungradable``, never as a score.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import select
import signal
import site
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from . import cgroups, codec

SANDBOX_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox.py")
SANDBOX_GID = 2_147_480_000  # the sandbox processes' group (no group entry); fallback ACLs name it
WORKDIR = "/tmp/work"  # inside the sandbox (namespaces)

# The environment by allow-list: what a student's notebook may expect of a local run, nothing of
# the instructor's (database passwords, cloud keys, tokens) or of the grader.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV_ALLOW = ("LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND", "PYTHONHASHSEED", "PYTHONIOENCODING",
             "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
ENV_ALLOW_PREFIX = ("LC_",)


class SandboxDied(RuntimeError):
    """The untrusted process timed out, died, or could not be started (it was killed).

    ``grader`` is True when the cause is the grader's (the sandbox could not be
    built, the zygote or the sandbox's init died, fork was refused), False when
    it is the student's code (an exit, a signal it sent itself, a limit, a timeout).
    """

    def __init__(self, message: str, *, grader: bool = False):
        super().__init__(message)
        self.grader = grader


@dataclass
class Limits:
    memory_mb: int = 2048        # cgroup memory limit for the sandbox and RLIMIT_AS per process
    cpu_seconds: int = 120       # RLIMIT_CPU for the whole process
    processes: int = 64          # cgroup pids.max and RLIMIT_NPROC (for the dedicated uid)
    file_mb: int = 16            # RLIMIT_FSIZE
    open_files: int = 256        # RLIMIT_NOFILE
    scratch_mb: int = 64         # size of the sandbox's /tmp and /dev/shm (namespaces)
    cgroup: bool = True          # a cgroup per sandbox where the cgroup file system is writable
    start_timeout: float = 30.0  # seconds to build the sandbox and answer "ready"
    output_cap: int = 10_000     # characters of captured output kept per cell


@dataclass
class SandboxConfig:
    uid: int
    limits: Limits = field(default_factory=Limits)
    hide: tuple[str, ...] = ()               # paths to hide if they lie inside an exposed tree
    forbidden: dict = field(default_factory=dict)  # student function -> reference targets
    namespaces: bool = True
    data_files: tuple = ()                   # (host path, relative name) copied read-only into the workdir
    env: dict = field(default_factory=dict)  # extra variables (NBGRADER_EXECUTION=autograde)
    fresh_uid: bool = False                  # a new uid per start (the fallback)


def sandbox_env(workdir: str, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOW or k.startswith(ENV_ALLOW_PREFIX)}
    # the course environment's bin/ first, then the system's; nothing of the instructor's own PATH
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), SYSTEM_PATH])
    env.setdefault("MPLBACKEND", "Agg")
    env["HOME"] = workdir
    env["PWD"] = workdir
    env.update(extra or {})
    return env


def exposed_trees() -> list[str]:
    """What the student's process needs of the host (beyond /usr and a few /etc files):
    the interpreter, its standard library and site-packages, and the mlekit package."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(sys.executable)}
    try:
        paths.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - virtualenv's old site module
        pass
    # package folders added by .pth files (another environment's site-packages); never other sys.path
    # entries (a legacy editable install puts the whole repository there)
    paths.update(p for p in sys.path if p and os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages"))
    spec = importlib.util.find_spec("mlekit")
    if spec is not None and spec.submodule_search_locations:
        paths.update(spec.submodule_search_locations)
    return sorted(p for p in paths if p and os.path.exists(p))


def namespaces_available() -> bool:
    """Whether this process may build the sandbox's namespaces (tried in a child)."""
    if os.geteuid() != 0:
        return False
    from . import _jail

    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        ok = _jail.libc().unshare(_jail.NAMESPACES) == 0 and _jail.libc().mount(
            None, b"/", None, _jail.MS_REC | _jail.MS_PRIVATE, None) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


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


def kill_uid(uid: int, deadline: float | None = None) -> bool:
    """SIGKILL every process of ``uid``, from here (root): stopped first, so none can fork meanwhile.

    No helper process runs as that uid (one could be stopped by the processes it is
    meant to kill). True when none is left.
    """
    if uid == 0:
        raise ValueError("refusing to kill the processes of uid 0")
    deadline = time.monotonic() + 5.0 if deadline is None else deadline
    while True:
        pids = processes_of_uid(uid)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        time.sleep(0.005)


def pick_uids(n: int, exclude=()) -> list[int]:
    """Dedicated uids no process uses now (random, so parallel graders do not collide)."""
    rng = random.Random(os.getpid() ^ time.time_ns())
    uids: list[int] = []
    while len(uids) < n:
        uid = rng.randrange(200_000, 2_000_000_000)
        if uid not in uids and uid not in exclude and not processes_of_uid(uid):
            uids.append(uid)
    return uids


class Zygote:
    """A root process that imported numpy, scipy, IPython and mlekit once and starts sandboxes.

    One per worker process. Forking from it saves the ~1-2 s of imports per
    submission; each sandbox is built (:mod:`autograder._jail`) before it reads
    a student's cell.
    """

    _instances: dict = {}
    preload: tuple = ()  # modules to import before forking (the assignment's own imports); set per worker

    def __init__(self):
        if os.geteuid() != 0:
            raise RuntimeError("the autograder must run as root to start sandboxes as another user")
        parent, child = socket.socketpair()
        self.sock = parent
        self.proc = subprocess.Popen(
            [sys.executable, "-s", SANDBOX_SCRIPT, str(child.fileno()), ",".join(self.preload)],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=sandbox_env(WORKDIR), cwd="/",
        )
        child.close()

    @classmethod
    def get(cls) -> "Zygote":
        z = cls._instances.get("z")
        if z is None or z.proc.poll() is not None:
            if z is not None:
                z.stop()
            z = cls._instances["z"] = cls()
        return z

    def fork(self, spec: dict, fds: list[int]) -> tuple[int, int | None]:
        """Start one sandbox; returns (monitor pid, pidfd or None)."""
        try:
            socket.send_fds(self.sock, [json.dumps(spec).encode()], fds)
            self.sock.settimeout(60)
            data, pidfds, _, _ = socket.recv_fds(self.sock, 4096, 1)
        except OSError as exc:
            self.stop()
            raise SandboxDied(f"the sandbox zygote failed ({exc})", grader=True) from None
        finally:
            self.sock.settimeout(None)
        if not data:
            self.stop()
            raise SandboxDied("the sandbox zygote died", grader=True)
        reply = json.loads(data.decode())
        if "error" in reply:
            for fd in pidfds:
                os.close(fd)
            raise SandboxDied(f"the sandbox could not start: {reply['error']}", grader=True)
        return int(reply["pid"]), (pidfds[0] if pidfds else None)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sock.close()

    @classmethod
    def stop_all(cls) -> None:
        for z in cls._instances.values():
            z.stop()
        cls._instances.clear()


def _describe_status(status: dict) -> str:
    if "signal" in status:
        try:
            name = signal.Signals(status["signal"]).name
        except ValueError:
            name = str(status["signal"])
        return f"killed by signal {name}"
    return f"exit code {status.get('exit')}"


class Sandbox:
    """One untrusted process; ``request`` sends a message and waits (with a timeout)."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.uid = config.uid
        self.pid = self.pidfd = None
        self.cgroup = None
        self._workdir_host = None
        self._req_w = self._resp_r = self._status_r = None
        self._next_id = 0
        self._oom_before = 0
        self.callbacks: dict[int, object] = {}
        self.isolation = ""
        self.leftover = False  # processes of the sandbox survived the kill (reported by the runner)

    # -- life cycle ---------------------------------------------------------
    def start(self) -> None:
        cfg, lim = self.config, self.config.limits
        use_ns = cfg.namespaces and os.geteuid() == 0
        if cfg.fresh_uid:
            self.uid = pick_uids(1, exclude=(self.uid,))[0]
        if use_ns:
            workdir = WORKDIR
        else:
            self._workdir_host = tempfile.mkdtemp(prefix="autograder-")
            os.chmod(self._workdir_host, 0o711)
            workdir = os.path.join(self._workdir_host, "work")
        self.cgroup = cgroups.create(f"sandbox-{self.uid}-{os.getpid()}-{time.monotonic_ns()}",
                                     memory_mb=lim.memory_mb, processes=lim.processes) if lim.cgroup else None
        spec = {"uid": self.uid, "gid": SANDBOX_GID, "workdir": workdir, "namespaces": use_ns,
                "expose": exposed_trees(), "hide": [os.path.realpath(p) for p in cfg.hide],
                "data_files": [list(f) for f in cfg.data_files], "scratch_mb": lim.scratch_mb,
                "env": sandbox_env(workdir, cfg.env),
                "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
                "limits": {k: getattr(lim, k) for k in ("memory_mb", "cpu_seconds", "processes", "file_mb",
                                                        "open_files")}}
        parts = ["uid", "rlimits"]
        if use_ns:
            parts.append("namespaces(mount,pid,net,ipc,uts)")
        if self.cgroup:
            parts.append(self.cgroup.description)
        self.isolation = "+".join(parts)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        status_r, status_w = os.pipe()
        self._req_w, self._resp_r, self._status_r = req_w, resp_r, status_r
        try:
            self.pid, self.pidfd = Zygote.get().fork(spec, [req_r, resp_w, status_w])
        except SandboxDied:
            self.kill()
            raise
        finally:
            for fd in (req_r, resp_w, status_w):
                os.close(fd)
        self._oom_before = self.cgroup.oom_kills() if self.cgroup else 0
        os.set_blocking(req_w, False)
        deadline = time.monotonic() + lim.start_timeout
        try:
            self._send({"forbidden": cfg.forbidden, "output_cap": lim.output_cap}, deadline)
            ready = codec.read_message(self._resp_r, deadline)
            if not ready.get("ready"):
                raise ValueError("no ready message")
        except (TimeoutError, EOFError, OSError, ValueError) as exc:
            reason = self._why_dead(wait=2.0) or str(exc) or type(exc).__name__
            self.kill()
            raise SandboxDied(f"the student's process did not start ({reason})", grader=True) from None

    def alive(self) -> bool:
        return self._resp_r is not None

    def _why_dead(self, wait: float) -> str | None:
        """What init or the monitor reported on the status pipe (None: nothing in time)."""
        if self._status_r is None:
            return None
        status = self.read_status(wait)
        if status is None:
            return None
        if "setup_error" in status:
            return f"the sandbox could not be built: {status['setup_error']}"
        if "init_signal" in status:
            return f"the sandbox's init was killed by signal {status['init_signal']}"
        return _describe_status(status)

    def read_status(self, wait: float) -> dict | None:
        ready, _, _ = select.select([self._status_r], [], [], wait)
        if not ready:
            return None
        try:
            line = os.read(self._status_r, 4096).split(b"\n", 1)[0]
            return json.loads(line.decode()) if line else None
        except (OSError, ValueError):
            return None

    def _monitor_alive(self) -> bool:
        if self.pidfd is None:
            return False
        return not select.select([self.pidfd], [], [], 0)[0]  # a pidfd becomes readable when it exits

    def _death(self) -> SandboxDied:
        """The grading channel closed: say whose doing it was."""
        status = self.read_status(2.0) if self._status_r is not None else None
        oom = self.cgroup is not None and self.cgroup.oom_kills() > self._oom_before
        alive = status is None and self._monitor_alive()
        self.kill()
        if alive:  # the sandbox still runs: the student's code closed its end of the channel
            return SandboxDied("the student's process closed the grading channel")
        if status is None or "setup_error" in status or "init_signal" in status:
            what = "no status" if status is None else (status.get("setup_error") or
                                                       f"init killed by signal {status.get('init_signal')}")
            return SandboxDied(f"the sandbox ended without the student's process reporting ({what})",
                               grader=True)
        if oom:
            return SandboxDied("the student's process died: it ran out of memory (the sandbox's limit is "
                               f"{self.config.limits.memory_mb} MB)")
        return SandboxDied(f"the student's process died ({_describe_status(status)})")

    def kill(self) -> None:
        """Kill the sandbox and everything in it; clean up. Safe to call twice."""
        if self.pid is None and self._resp_r is None and self._req_w is None and self.cgroup is None:
            return
        deadline = time.monotonic() + 10.0
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
            os.close(self.pidfd)
            self.pidfd = None
        elif self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.pid = None
        clean = True
        if self.cgroup is not None:
            clean = self.cgroup.kill(deadline)
        if os.geteuid() == 0:
            clean = kill_uid(self.uid, deadline) and clean
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        self.leftover = not clean
        for fd in (self._req_w, self._resp_r, self._status_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._req_w = self._resp_r = self._status_r = None
        if self._workdir_host is not None:
            import shutil

            from . import fallback

            shutil.rmtree(self._workdir_host, ignore_errors=True)
            fallback.remove_files_of(self.uid)
            self._workdir_host = None

    # -- messages -----------------------------------------------------------
    def _send(self, message, deadline) -> None:
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
                try:
                    answer = codec.read_message(self._resp_r, deadline)
                except codec.ContentError as exc:
                    # a whole frame arrived but is not plain data (too deep, not JSON): the channel is
                    # still in step, so only this request fails
                    return {"id": self._next_id, "error": {"ename": "TypeError",
                                                           "evalue": f"an answer the grader cannot read ({exc})"}}
                if answer.get("op") == "callback":
                    self._answer_callback(answer, deadline)
                    continue
                if answer.get("id") == self._next_id:
                    return answer
                # anything else is noise the student wrote on the channel: ignore it
        except TimeoutError:
            self.kill()
            raise SandboxDied(f"did not finish within {timeout:g} s (stopped)") from None
        except (EOFError, BrokenPipeError):
            raise self._death() from None
        except (codec.CodecError, OSError, ValueError, KeyError, TypeError):  # garbled framing
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
