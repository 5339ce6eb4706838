"""Grading without namespaces (a container without CAP_SYS_ADMIN): what the fallback needs.

Without a mount namespace the sandbox sees the host's file system as an
ordinary, unprivileged user would (a fresh uid per sandbox, the sandbox group,
no supplementary groups). Two things follow:

1. **It must reach the interpreter.** A venv under a private home
   (``/root/.cache/...``), a base Python under pyenv (``/root/.pyenv``), a clone
   in a ``mktemp -d`` folder: the private ancestors (mode 0700) stop the sandbox's
   uid. :func:`grant_traverse` adds, for the duration of the run, a POSIX ACL
   entry that lets the sandbox *group* traverse (``--x``, not list or read) each
   such ancestor, and :meth:`Grants.restore` puts the original ACL and mode back.
   Traverse-only means the sandbox can open a file below only if it knows its
   name and the file itself is readable by others: :func:`secrets_exposed`
   therefore checks what the sandbox could then reach.
2. **Secrets must be private by their own modes.** The course's ``source/``,
   ``submitted/``, ``autograded/``, ``feedback/``, the gradebook, the course's
   ``nbgrader_config.py``, the ``.git`` of a repository that holds the course or
   what the sandbox needs, and the nbgrader exchange: each must be unreachable by
   the sandbox. The grader refuses to start otherwise, printing the exact
   ``chmod`` commands.

After each sandbox, :func:`remove_files_of` deletes what its uid left in the
host's world-writable folders and its System V IPC objects.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import struct

ACL_XATTR = "system.posix_acl_access"
ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ACL_UNDEFINED_ID = 0xFFFFFFFF
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def _parse_acl(raw: bytes) -> list[tuple[int, int, int]]:
    version, = struct.unpack_from("<I", raw)
    if version != 2:
        raise ValueError(f"unknown ACL version {version}")
    return [struct.unpack_from("<HHI", raw, off) for off in range(4, len(raw), 8)]


def _pack_acl(entries) -> bytes:
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in sorted(entries, key=lambda e: (e[0], e[2])))


def _minimal_acl(mode: int) -> list[tuple[int, int, int]]:
    return [(ACL_USER_OBJ, (mode >> 6) & 7, ACL_UNDEFINED_ID), (ACL_GROUP_OBJ, (mode >> 3) & 7, ACL_UNDEFINED_ID),
            (ACL_OTHER, mode & 7, ACL_UNDEFINED_ID)]


class Grants:
    """The ACL entries added for one run; :meth:`restore` undoes them (idempotent)."""

    def __init__(self):
        self.saved: list[tuple[str, bytes | None, int]] = []  # (path, original xattr or None, mode)

    @property
    def paths(self) -> list[str]:
        return [p for p, _, _ in self.saved]

    def restore(self) -> None:
        while self.saved:
            path, raw, mode = self.saved.pop()
            try:
                if raw is None:
                    os.removexattr(path, ACL_XATTR)
                else:
                    os.setxattr(path, ACL_XATTR, raw)
                os.chmod(path, stat.S_IMODE(mode))
            except OSError:
                pass


def _traversable(path: str, gid: int) -> bool:
    st = os.stat(path)
    if st.st_mode & 0o001:
        return True
    try:
        entries = _parse_acl(os.getxattr(path, ACL_XATTR))
    except OSError:
        return False
    mask = next((p for t, p, _ in entries if t == ACL_MASK), 7)
    return any(t == ACL_GROUP and i == gid and p & mask & 1 for t, p, i in entries)


def private_ancestors(paths) -> list[str]:
    """The folders on the way to ``paths`` that other users cannot traverse (deduplicated, in order)."""
    out: list[str] = []
    for path in paths:
        current = "/"
        for part in os.path.realpath(path).strip("/").split("/"):
            if not os.path.isdir(current):
                break
            if not os.stat(current).st_mode & 0o001 and current not in out:
                out.append(current)
            current = os.path.join(current, part)
        if os.path.isdir(current) and not os.stat(current).st_mode & 0o001 and current not in out:
            out.append(current)
    return out


def grant_traverse(paths, gid: int) -> Grants:
    """Let group ``gid`` traverse every private ancestor of ``paths``; raises OSError if a file
    system refuses ACLs (the caller then says what to run instead)."""
    grants = Grants()
    try:
        for folder in private_ancestors(paths):
            if _traversable(folder, gid):
                continue
            st = os.stat(folder)
            try:
                raw = os.getxattr(folder, ACL_XATTR)
            except OSError:
                raw = None
            entries = _parse_acl(raw) if raw is not None else _minimal_acl(st.st_mode)
            entries = [e for e in entries if not (e[0] == ACL_GROUP and e[2] == gid)]
            entries.append((ACL_GROUP, 1, gid))
            group_obj = next(p for t, p, _ in entries if t == ACL_GROUP_OBJ)
            old_mask = next((p for t, p, _ in entries if t == ACL_MASK), None)
            entries = [e for e in entries if e[0] != ACL_MASK]
            entries.append((ACL_MASK, (old_mask if old_mask is not None else group_obj) | 1, ACL_UNDEFINED_ID))
            grants.saved.append((folder, raw, st.st_mode))
            os.setxattr(folder, ACL_XATTR, _pack_acl(entries))
    except BaseException:
        grants.restore()
        raise
    return grants


def secrets_exposed(secrets, gid: int) -> list[str]:
    """The secret paths the sandbox (any uid, group ``gid``) could reach: for each, the path to
    make private. A folder is safe when others have no access to it (``chmod 700``), a file
    when others cannot read it, either also when an ancestor cannot be traversed."""
    out = []
    for path in secrets:
        if not os.path.lexists(path):
            continue
        real = os.path.realpath(path)
        current, reachable = "/", True
        for part in real.strip("/").split("/")[:-1]:
            current = os.path.join(current, part)
            if not _traversable(current, gid):
                reachable = False
                break
        if not reachable:
            continue
        mode = os.stat(real).st_mode
        if (stat.S_ISDIR(mode) and (mode & 0o007 or _traversable(real, gid))) or \
                (not stat.S_ISDIR(mode) and mode & 0o004):
            out.append(real)
    return out


def git_dirs_of(paths) -> list[str]:
    """The ``.git`` of every repository that holds one of ``paths`` (hidden tests live in history)."""
    out = []
    for path in paths:
        current = os.path.realpath(path)
        while True:
            candidate = os.path.join(current, ".git")
            if os.path.exists(candidate) and candidate not in out:
                out.append(candidate)
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    return out


def courses_in(repositories, skip=(), max_depth: int = 4) -> list[str]:
    """Folders holding an ``nbgrader_config.py`` in the work trees of ``repositories`` (their ``.git``
    paths): other courses kept in a repository the sandbox can reach (their hidden tests)."""
    out = []
    skip = tuple(os.path.realpath(p).rstrip("/") + "/" for p in skip)
    for git_dir in repositories:
        top = os.path.dirname(git_dir)
        for folder, dirs, files in os.walk(top):
            depth = folder[len(top):].count(os.sep)
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__")
                       and not (os.path.realpath(os.path.join(folder, d)) + "/").startswith(skip)
                       and depth < max_depth]
            if "nbgrader_config.py" in files and folder not in out:
                out.append(folder)
    return out


def remove_files_of(uid: int) -> None:
    """Delete what ``uid`` left in the host's world-writable folders, and its System V IPC objects."""
    for top in WORLD_WRITABLE:
        if not os.path.isdir(top) or os.path.islink(top):
            continue
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if st.st_uid != uid:
                continue
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    _remove_ipc_of(uid)


def _remove_ipc_of(uid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    IPC_RMID = 0
    for kind, remove in (("shm", lambda i: libc.shmctl(i, IPC_RMID, None)),
                         ("msg", lambda i: libc.msgctl(i, IPC_RMID, None)),
                         ("sem", lambda i: libc.semctl(i, 0, IPC_RMID))):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                header = fh.readline().split()
                rows = [line.split() for line in fh]
        except OSError:
            continue
        col_id, col_uid = header.index(next(h for h in header if h in ("shmid", "msqid", "semid"))), header.index("uid")
        for row in rows:
            if int(row[col_uid]) == uid:
                remove(int(row[col_id]))
