"""Rebuild the notebook to grade from the submission and the assignment (class 6).

The submission is untrusted *data*. Cells that nbgrader knows (by ``grade_id``)
are taken in the assignment's order: test cells and read-only cells come from
the gradebook (what the instructor released, hidden tests included), solution
cells keep the student's text under the assignment's metadata. Cells without a
known ``grade_id`` are the student's own and stay after the known cell they
followed. Every deviation (duplicated, missing, re-flagged, re-typed cells) is
reported, and the submitted file is never written to.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import stat

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


class InvalidNotebook(ValueError):
    """The submission cannot be read as a notebook."""


def read_regular(path: str, *, limit: int = MAX_NOTEBOOK_BYTES, dir_fd: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file (never through a symbolic link), at most ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidNotebook(f"{os.path.basename(path)} is a symbolic link, not a submitted file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InvalidNotebook(f"{os.path.basename(path)} is not a regular file")
        if st.st_size > limit:
            raise InvalidNotebook(f"{os.path.basename(path)} is too large ({st.st_size} bytes)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)[: limit + 1]
    finally:
        os.close(fd)


def _clean_text(value):
    """Lone surrogates (``"\\ud800"`` in the JSON) replaced: they cannot be encoded anywhere downstream."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [_clean_text(v) for v in value]
    if isinstance(value, dict):
        return {_clean_text(k): _clean_text(v) for k, v in value.items()}
    return value


def parse_submission(raw: bytes) -> dict:
    """A submitted notebook's bytes as a notebook dict, or :class:`InvalidNotebook`."""
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"notebook too large ({len(raw)} bytes)")
    try:
        nb = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InvalidNotebook("invalid notebook: nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidNotebook(f"invalid notebook: not valid JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("invalid notebook: no list of cells")
    return _clean_text(nb)


def load_submission(path: str) -> dict:
    try:
        raw = read_regular(path)
    except FileNotFoundError:
        raise InvalidNotebook("missing notebook") from None
    except OSError as exc:
        raise InvalidNotebook(f"unreadable notebook ({exc.strerror})") from None
    return parse_submission(raw)


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def reference_cells(gradebook, notebook_id: str, assignment_id: str, source_nb: dict) -> list[dict]:
    """The assignment's known cells, in the source notebook's order, as the gradebook stores them."""
    nb = gradebook.find_notebook(notebook_id, assignment_id)
    src = {c.name: c for c in nb.source_cells}
    grades = {c.name: c for c in nb.grade_cells}
    solutions = {c.name for c in nb.solution_cells}
    tasks = {c.name for c in nb.task_cells}
    order = []
    for cell in source_nb.get("cells", []):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in src and gid not in order:
            order.append(gid)
    order += sorted(set(src) - set(order))
    out = []
    for gid in order:
        s = src[gid]
        g = grades.get(gid)
        out.append({
            "grade_id": gid,
            "cell_type": s.cell_type,
            "source": s.source,
            "checksum": s.checksum,
            "locked": bool(s.locked),
            "grade": g is not None,
            "solution": gid in solutions,
            "task": gid in tasks,
            "points": float(g.max_score) if g is not None else 0.0,
        })
    return out


def instructor_imports(source_nb: dict) -> str:
    """The top-level import statements of the source notebook's non-solution code cells."""
    lines = []
    for cell in source_nb.get("cells", []):
        md = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or md.get("solution"):
            continue
        try:
            tree = ast.parse(_text(cell.get("source")))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


def strip_hidden(source: str) -> str:
    """The text of a test cell as released: hidden-test blocks removed."""
    out, inside = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif not inside:
            out.append(line.rstrip())
    return "\n".join(out).strip()


def _nbgrader_md(ref: dict) -> dict:
    md = {"grade": ref["grade"], "grade_id": ref["grade_id"], "locked": ref["locked"],
          "schema_version": 3, "solution": ref["solution"]}
    if ref["task"]:
        md["task"] = True
    if ref["grade"] or ref["task"]:
        md["points"] = ref["points"]
    if ref["checksum"]:
        md["checksum"] = ref["checksum"]
    return md


def _cell(cell_type: str, source: str, metadata: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "metadata": metadata or {}, "source": source}
    if cell_type == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    return cell


def reconcile(submission: dict, refs: list[dict]) -> tuple[list[dict], list[str]]:
    """Return (cells, issues); each cell has ``metadata.autograder.kind``:
    ``test`` / ``locked`` / ``solution`` / ``student`` (code) or ``text``."""
    known = {r["grade_id"]: r for r in refs}
    seen: dict[str, str] = {}
    after: dict[str | None, list[dict]] = {None: []}
    issues: list[str] = []
    current = None
    # As nbgrader's DeduplicateIds: of cells sharing a grade_id (Jupyter's copy and paste), the last
    # copy is the graded one; earlier copies run as the student's own cells.
    last = {}
    for i, cell in enumerate(submission["cells"]):
        if isinstance(cell, dict) and isinstance(cell.get("metadata"), dict) and \
                isinstance(cell["metadata"].get("nbgrader"), dict):
            gid = cell["metadata"]["nbgrader"].get("grade_id")
            if isinstance(gid, str) and gid in known:
                last[gid] = i
    for i, cell in enumerate(submission["cells"]):
        if not isinstance(cell, dict):
            issues.append(f"cell {i} is not a cell; ignored")
            continue
        md = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        ng = md.get("nbgrader") if isinstance(md.get("nbgrader"), dict) else {}
        gid = ng.get("grade_id")
        cell_type = cell.get("cell_type")
        source = _text(cell.get("source"))
        if isinstance(gid, str) and gid in known and last[gid] != i:
            issues.append(f"cell {gid!r} appears more than once; the last copy is graded, the earlier copies "
                          "run as the student's own cells (as nbgrader does)")
            if cell_type == "code":
                after.setdefault(current, []).append(_cell("code", source, {"autograder": {"kind": "student"}}))
            elif cell_type in ("markdown", "raw"):
                after.setdefault(current, []).append(_cell("markdown", source, {"autograder": {"kind": "text"}}))
            continue
        if isinstance(gid, str) and gid in known:
            ref = known[gid]
            for flag in ("grade", "solution", "locked"):
                if bool(ng.get(flag, False)) != bool(ref[flag]) and not (flag == "locked" and ref["grade"]):
                    issues.append(f"cell {gid!r}: nbgrader flag {flag!r} was changed; the assignment's is used")
            if cell_type != ref["cell_type"]:
                issues.append(f"cell {gid!r}: type changed from {ref['cell_type']} to {cell_type}; restored")
            if ref["grade"] and not ref["solution"] and strip_hidden(source) != strip_hidden(ref["source"]):
                issues.append(f"test cell {gid!r} was edited; the assignment's test is used")
            elif ref["locked"] and not ref["solution"] and not ref["grade"] and \
                    source.strip() != ref["source"].strip():
                issues.append(f"read-only cell {gid!r} was edited; the assignment's cell is used")
            seen[gid] = source
            current = gid
            after.setdefault(gid, [])
            continue
        if ng.get("grade") or ng.get("solution") or ng.get("locked") or gid is not None:
            issues.append(f"cell {i} carries nbgrader metadata ({gid!r}) unknown to the assignment; "
                          "it runs as the student's own cell")
        if cell_type == "code":
            after.setdefault(current, []).append(_cell("code", source, {"autograder": {"kind": "student"}}))
        elif cell_type in ("markdown", "raw"):
            after.setdefault(current, []).append(_cell("markdown", source, {"autograder": {"kind": "text"}}))
    for gid in known:
        if gid not in seen:
            issues.append(f"cell {gid!r} is missing from the submission; restored from the assignment")
    cells = list(after[None])
    for ref in refs:
        gid = ref["grade_id"]
        md = {"nbgrader": _nbgrader_md(ref)}
        if ref["solution"]:
            source = seen.get(gid, ref["source"])
        else:
            source = ref["source"]
        if ref["cell_type"] == "code":
            kind = "solution" if ref["solution"] else ("test" if ref["grade"] else "locked")
        else:
            kind = "text"
        md["autograder"] = {"kind": kind}
        cells.append(_cell(ref["cell_type"], source, md))
        cells.extend(after.get(gid, []))
    return cells, issues
