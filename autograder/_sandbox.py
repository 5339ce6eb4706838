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

import base64
import io
import os
import sys
import traceback

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _here)
import _guard  # noqa: E402  (the sibling modules, without importing the autograder package)
import _jail  # noqa: E402
import codec  # noqa: E402

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


def _error_info(exc):
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "ename": type(exc).__name__,
        "evalue": str(exc)[:2000],
        "traceback": [line[:2000] for line in tb[-12:]],
    }


MAX_FILES, MAX_FILES_BYTES = 100, 5 * 1024 * 1024  # side-effect files sent back for autograded/


def _written_files(workdir, skip):
    """Regular files the notebook wrote in its working folder (no links), capped."""
    out, total = [], 0
    for folder, dirs, files in os.walk(workdir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, workdir)
            if rel in skip or os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            if len(out) >= MAX_FILES or total + size > MAX_FILES_BYTES:
                return out, True
            with open(path, "rb") as fh:
                out.append([rel, base64.b64encode(fh.read(MAX_FILES_BYTES)).decode("ascii")])
            total += size
    return out, False


def serve(in_fd, out_fd, spec):
    global IN_FD, OUT_FD
    IN_FD, OUT_FD = in_fd, out_fd
    config = codec.read_message(IN_FD)
    cap = int(config.get("output_cap", 10_000))
    lockout = _guard.Lockout(config.get("forbidden") or {}) if config.get("forbidden") else None

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    ipconfig = Config()
    ipconfig.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=ipconfig, colors="nocolor")
    data_files = {rel for _, rel in spec.get("data_files", [])}

    stash = {}  # names a test cell deleted: still reachable by reference (``old = squares; del squares``)

    def resolve_fn(name):
        fn = shell.user_ns.get(name, stash.get(name))
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

    def call(name, args, kwargs):
        answer = {}
        fn = shell.user_ns.get(name)
        if not callable(fn):
            return {"error": {"ename": "NameError", "evalue": f"name '{name}' is not defined"}}
        args = codec.decode(args, resolve_fn=resolve_fn, resolve_callback=resolve_callback)
        kwargs = codec.decode(kwargs, resolve_fn=resolve_fn, resolve_callback=resolve_callback)
        refused = lockout.begin(name) if lockout is not None else None
        if refused is not None:
            return {"error": refused}
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
            used, blocked, tampered = lockout.end(name) if lockout is not None else ([], [], False)
        if used:
            answer = {"error": {"ename": "ReferenceUsed",
                                "evalue": f"{name} reaches the reference {', '.join(used)} instead of "
                                          "deriving it"}, "used": used}
        elif tampered:
            answer = {"error": {"ename": "GuardTampered",
                                "evalue": f"{name} switched off the grader's watch of the reference"}}
        if blocked:
            answer["refused"] = blocked
        return answer

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
                answer = call(msg["name"], msg["args"], msg["kwargs"])
            elif op == "assign":  # a test cell bound a name: the student's namespace sees it too
                shell.user_ns[msg["name"]] = codec.decode(msg["value"], resolve_fn=resolve_fn,
                                                          resolve_callback=resolve_callback)
            elif op == "delete":  # a test cell deleted a name (``del squares``): so does the student's side
                if msg["name"] in shell.user_ns:
                    stash[msg["name"]] = shell.user_ns.pop(msg["name"])
            elif op == "files":
                answer["files"], answer["truncated"] = _written_files(os.getcwd(), data_files)
            else:
                answer["error"] = {"ename": "ProtocolError", "evalue": f"unknown op {op!r}"}
        except BaseException as exc:  # noqa: BLE001 - report, never die silently
            answer["error"] = _error_info(exc)
        finally:
            sys.stdout, sys.stderr = saved
        answer["stdout"], answer["stderr"] = out.text(), err.text()
        answer["id"] = msg.get("id")
        codec.write_message(OUT_FD, answer)


def zygote(sock_fd, preload=()):
    """Import the heavy modules once, then start one sandbox per request.

    Runs as root with a clean environment and nothing of any student in memory.
    For each request it forks the sandbox's monitor (:func:`_jail.start`), which
    builds the sandbox before any student code runs, and answers with the
    monitor's pid and a pidfd for it (so the grader never signals a recycled pid).
    """
    import json
    import signal
    import socket

    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401  (every sandbox runs one)

    for module in preload:  # the assignment's imports and its policy's modules: imported once, not per student
        try:
            __import__(module)
        except Exception:  # noqa: BLE001 - the student's cell will meet (and report) the same failure
            pass

    sock = socket.socket(fileno=sock_fd)
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 22, 3)
        except OSError:
            return
        if not data:
            return
        spec = json.loads(data.decode())
        # no SIGCHLD while the pid is not yet held by a pidfd: the monitor cannot be reaped (and its pid
        # recycled) before the pidfd exists
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            sock.sendall(json.dumps({"error": f"fork refused: {exc}"}).encode() + b"\n")
            continue
        if pid == 0:
            try:
                sock.close()
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                _jail.start(spec, fds[:2], fds[2])
                serve(fds[0], fds[1], spec)  # only the student's process gets here
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        # reap monitors that ended (never the new one before its pidfd exists)
        while True:
            try:
                done, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        reply = json.dumps({"pid": pid}).encode() + b"\n"
        if pidfd is not None:
            socket.send_fds(sock, [reply], [pidfd])
            os.close(pidfd)
        else:
            sock.sendall(reply)


if __name__ == "__main__":
    zygote(int(sys.argv[1]), [m for m in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if m])
