"""The untrusted side: runs the student's cells and functions, nothing else.

Started by :mod:`autograder.sandbox` as an unprivileged user, in its own
session, mount and network namespaces, with resource limits. It talks to the
trusted grader over two inherited pipes (fd 3: requests in, fd 4: answers
out) in the framed JSON of :mod:`autograder.codec`. The student's prints are
captured (capped) per request; the process's own stdout/stderr go to
/dev/null, so nothing the student writes can forge a message.

Nothing here is trusted by the grader: every answer is decoded as plain data.
The "reference guard" below is a tripwire that reports calls to mlekit's
reference implementation while a student's function runs; a student who
introspects this process can defeat it (see autograder/README.md).
"""

import io
import os
import sys
import traceback

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _here)
import codec  # noqa: E402  (the sibling module, without importing the autograder package)

sys.path.remove(_here)
sys.path.insert(0, "")  # like a Jupyter kernel: the working directory first

IN_FD = OUT_FD = -1  # set by serve()


class _Capped(io.TextIOBase):
    """A text sink that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap):
        self.cap, self.parts, self.kept, self.dropped = cap, [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def flush(self):
        pass

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... output truncated: {self.dropped} more characters not shown]\n"
        return out


_STATE = {"forbidden": (), "used": set()}
_GUARDS = []  # (owner, attribute, original, target)


def _install_guards(targets):
    import importlib

    for target in targets:
        module_name, _, qualname = target.partition(":")
        module = importlib.import_module(module_name)
        owner, *rest = [module] + qualname.split(".")
        for part in qualname.split(".")[:-1]:
            owner = getattr(owner, part)
        attr = qualname.split(".")[-1]
        original = getattr(owner, attr)

        def make(original, target):
            def guarded(*args, **kwargs):
                if target in _STATE["forbidden"]:
                    _STATE["used"].add(target)
                return original(*args, **kwargs)

            guarded.__name__ = getattr(original, "__name__", "guarded")
            guarded.__qualname__ = getattr(original, "__qualname__", "guarded")
            guarded.__doc__ = getattr(original, "__doc__", None)
            return guarded

        wrapper = make(original, target)
        setattr(owner, attr, wrapper)
        _GUARDS.append((owner, attr, original, target))
        # the same object re-exported elsewhere in the package (mlekit.fit = mlekit.fit.fit)
        root = module_name.split(".")[0]
        for name, mod in list(sys.modules.items()):
            if mod is None or not (name == root or name.startswith(root + ".")):
                continue
            for key, val in list(vars(mod).items()):
                if val is original:
                    setattr(mod, key, wrapper)
                    _GUARDS.append((mod, key, original, target))


def _guards_intact():
    """False if the unguarded reference itself was put back (replacing it by anything else
    cannot reach the reference, so it is the student's business)."""
    return not any(getattr(owner, attr, None) is original for owner, attr, original, _ in _GUARDS)


def _error_info(exc):
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "ename": type(exc).__name__,
        "evalue": str(exc)[:2000],
        "traceback": [line[:2000] for line in tb[-12:]],
    }


def serve(in_fd, out_fd):
    global IN_FD, OUT_FD
    IN_FD, OUT_FD = in_fd, out_fd
    config = codec.read_message(IN_FD)
    cap = int(config.get("output_cap", 10_000))
    targets = sorted({t for ts in config.get("forbidden", {}).values() for t in ts})
    if targets:
        _install_guards(targets)

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    ipconfig = Config()
    ipconfig.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=ipconfig, colors="nocolor")
    callbacks = {}

    def resolve_fn(name):
        fn = shell.user_ns.get(name)
        if not callable(fn):
            raise codec.CodecError(f"{name} is not a function in the notebook")
        return fn

    def resolve_callback(cid):
        def callback(*args, **kwargs):
            codec.write_message(OUT_FD, {"op": "callback", "id": cid, "args": codec.encode(list(args)),
                                         "kwargs": codec.encode(kwargs)})
            answer = codec.read_message(IN_FD)
            if "error" in answer:
                raise RuntimeError(answer["error"])
            return codec.decode(answer["value"])

        return callback

    codec.write_message(OUT_FD, {"ready": True})
    while True:
        try:
            msg = codec.read_message(IN_FD)
        except EOFError:
            return
        op = msg.get("op")
        out, err = _Capped(cap), _Capped(cap)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        answer = {}
        try:
            if op == "run":
                result = shell.run_cell(msg["code"], store_history=True, silent=False)
                exc = result.error_in_exec or result.error_before_exec
                if exc is not None:
                    answer["error"] = _error_info(exc)
            elif op == "lookup":
                name = msg["name"]
                if name not in shell.user_ns or name.startswith("_"):
                    answer["kind"] = "missing"
                else:
                    value = shell.user_ns[name]
                    if callable(value) and not isinstance(value, type) and not hasattr(value, "__array__"):
                        answer["kind"] = "callable"
                    else:
                        try:
                            answer["value"] = codec.encode(value)
                            answer["kind"] = "value"
                        except codec.CodecError:
                            answer["kind"] = "other"
            elif op == "call":
                fn = shell.user_ns.get(msg["name"])
                if not callable(fn):
                    answer["error"] = {"ename": "NameError", "evalue": f"name '{msg['name']}' is not defined"}
                else:
                    args = codec.decode(msg["args"], resolve_fn=resolve_fn, resolve_callback=resolve_callback)
                    kwargs = codec.decode(msg["kwargs"], resolve_fn=resolve_fn, resolve_callback=resolve_callback)
                    _STATE["forbidden"] = tuple(config.get("forbidden", {}).get(msg["name"], ()))
                    _STATE["used"] = set()
                    try:
                        value = fn(*args, **kwargs)
                    except BaseException as exc:  # the student's exception, reported as data
                        answer["error"] = _error_info(exc)
                    else:
                        try:
                            answer["value"] = codec.encode(value, fn_name=lambda v: None)
                        except codec.CodecError as exc:
                            answer["error"] = {"ename": "TypeError", "evalue": str(exc)}
                    finally:
                        used, _STATE["forbidden"] = sorted(_STATE["used"]), ()
                    if used:
                        answer = {"error": {"ename": "ReferenceUsed",
                                            "evalue": f"{msg['name']} calls the reference implementation "
                                                      f"{', '.join(used)} instead of deriving it"}}
                    if not _guards_intact():
                        answer = {"error": {"ename": "GuardTampered",
                                            "evalue": "the notebook removed the grader's reference guard"}}
            else:
                answer["error"] = {"ename": "ProtocolError", "evalue": f"unknown op {op!r}"}
        except BaseException as exc:  # noqa: BLE001 - report, never die silently
            answer["error"] = _error_info(exc)
        finally:
            sys.stdout, sys.stderr = saved
        if not _guards_intact() and op == "run":
            answer.setdefault("tampered", True)
        answer["stdout"], answer["stderr"] = out.text(), err.text()
        answer["id"] = msg.get("id")
        codec.write_message(OUT_FD, answer)


# -- isolation, done in the forked child while still root --------------------
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 8192, 16384, 1 << 18


def isolate(spec):
    """setsid, namespaces and mounts, rlimits, then drop to the dedicated uid. Exits on failure."""
    import ctypes
    import ctypes.util
    import resource

    os.setsid()
    workdir = spec["workdir"]
    uid, gid = spec["uid"], 65534
    if spec["namespaces"]:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
            os._exit(71)
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            os._exit(72)
        for path in spec["hide"]:
            if os.path.isdir(path):
                rc = libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=000")
            else:
                rc = libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None)
            if rc != 0:
                os._exit(73)
        for tmp in ("/dev/shm", "/var/tmp"):
            if os.path.isdir(tmp):
                libc.mount(b"tmpfs", tmp.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64m,mode=1777")
        # Folders the student's process needs that live under /tmp (a clone of the
        # course repository there: its .venv, mlekit, autograder) are held on the new
        # /dev/shm, then moved back on top of the new, empty /tmp.
        held = []
        for i, path in enumerate(spec.get("keep_in_tmp", [])):
            hold = f"/dev/shm/.keep{i}"
            os.mkdir(hold)
            if libc.mount(path.encode(), hold.encode(), None, MS_BIND | MS_REC, None) != 0:
                os._exit(76)
            held.append((hold, path))
        libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64m,mode=1777")
        for hold, path in held:
            os.makedirs(path, 0o755, exist_ok=True)
            if libc.mount(hold.encode(), path.encode(), None, MS_MOVE, None) != 0:
                os._exit(77)
            os.rmdir(hold)
        for i, (path, top) in enumerate(spec["expose"]):
            # the interpreter lives in a private home (e.g. /root/.pyenv): cover the private
            # ancestor with an empty tmpfs and bring back only the interpreter's folder
            hold = f"/tmp/.hold{i}"
            os.mkdir(hold)
            if libc.mount(path.encode(), hold.encode(), None, MS_BIND | MS_REC, None) != 0:
                os._exit(74)
            libc.mount(b"tmpfs", top.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=0755")
            os.makedirs(path, 0o755, exist_ok=True)
            if libc.mount(hold.encode(), path.encode(), None, MS_MOVE, None) != 0:
                os._exit(75)
            os.rmdir(hold)
        os.mkdir(workdir, 0o700)
    os.chown(workdir, uid, gid)
    os.chdir(workdir)
    lim = spec["limits"]
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_seconds"], lim["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["file_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["processes"],) * 2)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.environ.clear()
    os.environ.update(spec["env"])


def zygote(sock_fd):
    """Import the heavy modules once, then fork one isolated child per request.

    Runs as root with a clean environment and nothing of any student in memory;
    each child isolates itself (:func:`isolate`) before it reads a student's cell.
    """
    import signal
    import socket

    import numpy  # noqa: F401  (warm imports: the reason this process exists)
    import scipy.stats  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
    try:
        import mlekit  # noqa: F401
    except ImportError:
        pass

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    sock = socket.socket(fileno=sock_fd)
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
        except OSError:
            return
        if not data:
            return
        import json

        spec = json.loads(data.decode())
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                isolate(spec)
                serve(fds[0], fds[1])
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


if __name__ == "__main__":
    zygote(int(sys.argv[1]))
