"""Reference lockout: while a student's graded function runs, the reference is unreachable.

An assignment's policy names, per function the student writes, the *targets*
that would answer the question for them (see ``autograder/policies.py`` for the
format): whole modules (``mlekit.families``), whole packages (``statsmodels.*``),
classes (``scipy.stats._continuous_distns:gamma_gen``) or functions. While a
graded call of that function runs, executing **any** code of a target counts as
using the reference, however it was reached: a public method, a private hook,
another family's hook, an alias, ``operator.methodcaller``, a ``functools.partial``,
a subclass, an object made before the call. Nothing lists routes: the
interpreter reports every Python function call (``sys.setprofile``, also in
threads started during the call) and the call is matched by the code object or
its file. Reading a target's source file during the call counts too.

The means to switch the watch off are refused inside a graded call (an audit
hook, which cannot be removed once added): installing another profile or trace
function, starting processes or raw threads, ``ctypes``, walking the garbage
collector's objects, building functions or code objects by hand. A call made
while background threads run is refused (the watch could not see them).

This module runs inside the untrusted process, so a student who attacks the
grader itself (introspecting closures to reach the saved originals, forging
answers on the grading channel) is outside what it can stop; the static scan
(:mod:`autograder.static`) reports such code for a human. It uses only the
standard library: the trusted side imports it to validate policies.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types


class PolicyError(ValueError):
    """A policy names a target that does not exist in this environment."""


def _codes_of(obj, seen=None):
    """Code objects of a function or class, nested functions and lambdas included."""
    seen = set() if seen is None else seen
    out = set()

    def add_code(code):
        if code in out:
            return
        out.add(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add_code(const)

    def visit(value):
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, (staticmethod, classmethod)):
            visit(value.__func__)
        elif isinstance(value, property):
            for f in (value.fget, value.fset, value.fdel):
                if f is not None:
                    visit(f)
        elif isinstance(value, types.FunctionType):
            add_code(value.__code__)
        elif isinstance(value, types.MethodType):
            visit(value.__func__)
        elif isinstance(value, type):
            for member in vars(value).values():
                visit(member)
        elif hasattr(value, "__wrapped__"):
            visit(value.__wrapped__)

    visit(obj)
    return out


def _files_of_module(name):
    spec = _find_spec(name)
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        raise PolicyError(f"no module {name!r} (or it has no source file)")
    origin = spec.origin
    return {origin, os.path.realpath(origin)}


def _find_spec(name):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise PolicyError(f"no module {name!r} ({exc})") from None


def _is_package(name):
    spec = _find_spec(name)
    return spec is not None and bool(spec.submodule_search_locations)


def _prefixes_of_package(name):
    spec = _find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise PolicyError(f"no package {name!r}")
    out = set()
    for location in spec.submodule_search_locations:
        for path in (location, os.path.realpath(location)):
            out.add(path.rstrip("/") + "/")
    return out


def _object_of(target):
    module_name, _, qualname = target.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise PolicyError(f"{target}: cannot import {module_name} ({exc})") from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise PolicyError(f"{target}: {module_name} has no {qualname}") from None
    if not isinstance(obj, (type, types.FunctionType, types.MethodType, staticmethod, classmethod, property)) \
            and not hasattr(obj, "__wrapped__"):
        obj = type(obj)  # an instance (scipy.stats.gamma): its class's code
    return obj


class Matcher:
    """What one student function may not reach: files, package folders, code objects."""

    def __init__(self, targets):
        self.files: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        self.codes: dict[types.CodeType, str] = {}
        for target in targets:
            if not isinstance(target, str) or not target.strip():
                raise PolicyError(f"a target must be a non-empty string, not {target!r}")
            if ":" in target:
                for code in _codes_of(_object_of(target)):
                    self.codes.setdefault(code, target)
            elif target.endswith(".*") or _is_package(target):
                # a package stands for all of its modules (a module later split into a package stays covered)
                for prefix in _prefixes_of_package(target.removesuffix(".*")):
                    self.prefixes.setdefault(prefix, target)
            else:
                for path in _files_of_module(target):
                    self.files.setdefault(path, target)
        self.prefix_tuple = tuple(self.prefixes)

    def target_of_code(self, code):
        target = self.codes.get(code) or self.files.get(code.co_filename)
        if target is None and self.prefix_tuple and code.co_filename.startswith(self.prefix_tuple):
            target = next(t for p, t in self.prefixes.items() if code.co_filename.startswith(p))
        return target

    def target_of_path(self, path):
        path = os.path.realpath(path)
        target = self.files.get(path)
        if target is None and self.prefix_tuple and path.startswith(self.prefix_tuple):
            target = next(t for p, t in self.prefixes.items() if path.startswith(p))
        if target is None:
            target = next((t for c, t in self.codes.items() if os.path.realpath(c.co_filename) == path), None)
        return target


def _locate(module_name):
    """The source file (or package folder) of ``module_name``, found without importing anything."""
    import ast  # noqa: F401  (kept local: this module is imported by the sandbox too)

    parts = module_name.split(".")
    spec = _find_spec(parts[0])  # a top-level name: nothing is executed
    if spec is None:
        raise PolicyError(f"no module {parts[0]!r}")
    if len(parts) == 1:
        return spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin
    locations = list(spec.submodule_search_locations or [])
    path = None
    for i, part in enumerate(parts[1:], 1):
        path = None
        for location in locations:
            if os.path.isfile(os.path.join(location, part, "__init__.py")):
                path = os.path.join(location, part)
                break
            if os.path.isfile(os.path.join(location, part + ".py")):
                path = os.path.join(location, part + ".py")
                break
        if path is None:
            raise PolicyError(f"no module {'.'.join(parts[:i + 1])!r}")
        locations = [path] if os.path.isdir(path) else []
        if not locations and i < len(parts) - 1:
            raise PolicyError(f"{'.'.join(parts[:i + 1])} is not a package")
    return path


def check(policy):
    """Validate a policy without importing the modules it names (the grading command's cheap check;
    the sandbox resolves it for real): every module exists, every ``:Qualname`` is defined there."""
    import ast

    if not isinstance(policy, dict):
        raise PolicyError("a policy is a dict {student function: [targets]}")
    for fn, targets in policy.items():
        if not isinstance(fn, str) or not isinstance(targets, (list, tuple)):
            raise PolicyError(f"{fn!r}: a policy maps a function name to a list of targets")
        for target in targets:
            if not isinstance(target, str) or not target.strip():
                raise PolicyError(f"a target must be a non-empty string, not {target!r}")
            module, _, qualname = target.partition(":")
            path = _locate(module.removesuffix(".*"))
            if not qualname:
                continue
            if os.path.isdir(path):
                path = os.path.join(path, "__init__.py")
            with open(path, encoding="utf-8") as fh:
                body = ast.parse(fh.read()).body
            for part in qualname.split("."):
                names = {}
                for node in body:
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        names[node.name] = getattr(node, "body", [])
                    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                            if isinstance(t, ast.Name):
                                names[t.id] = []
                    elif isinstance(node, (ast.Import, ast.ImportFrom)):
                        for a in node.names:
                            names[(a.asname or a.name).split(".")[0]] = []
                if part not in names:
                    raise PolicyError(f"{target}: {module} defines no {qualname}")
                body = names[part]


def resolve(policy):
    """{function: Matcher}; raises PolicyError naming the first target that does not resolve."""
    if not isinstance(policy, dict):
        raise PolicyError("a policy is a dict {student function: [targets]}")
    return {fn: Matcher(targets) for fn, targets in policy.items()}


_REFUSED_IN_CALL = ("sys.setprofile", "sys.settrace", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn",
                    "os.spawn", "os.system", "subprocess.Popen", "pty.spawn", "gc.get_objects",
                    "gc.get_referrers", "gc.get_referents", "function.__new__", "code.__new__", "marshal.loads",
                    "sys._current_frames", "sys.addaudithook")


class Lockout:
    """Installed once in the sandbox before any student code; armed around each graded call."""

    def __init__(self, policy):
        self.matchers = resolve(policy)
        self.active: Matcher | None = None
        self.used: list[str] = []
        self.refused: list[str] = []
        self._setprofile = sys.setprofile
        self._getprofile = sys.getprofile
        self._threading_setprofile = threading.setprofile
        self._current_frames = sys._current_frames
        self._installing = False
        self._hook = self._profile  # one bound method: compared by identity after the call
        import _thread

        original_start = _thread.start_new_thread
        lockout = self

        def start_new_thread(function, args, kwargs=None):
            if lockout.active is not None:
                lockout._refuse("starting a thread")
            return original_start(function, args, kwargs or {})

        _thread.start_new_thread = start_new_thread
        threading._start_new_thread = start_new_thread
        sys.addaudithook(self._audit)

    # -- the watch ------------------------------------------------------------
    def _profile(self, frame, event, arg):
        if event == "call":
            active = self.active
            if active is not None:
                target = active.target_of_code(frame.f_code)
                if target is not None and target not in self.used:
                    self.used.append(target)

    def _refuse(self, what):
        if what not in self.refused:
            self.refused.append(what)
        raise RuntimeError(f"{what} is not allowed while the grader calls your function")

    def _audit(self, event, args):
        active = self.active
        if active is None or self._installing:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            target = active.target_of_path(os.fsdecode(args[0]))
            if target is not None:
                if target not in self.used:
                    self.used.append(target)
                raise RuntimeError(f"reading {target} is not allowed while the grader calls your function")
        elif event.startswith("ctypes.") or event.startswith(_REFUSED_IN_CALL):
            self._refuse(event)

    # -- around one graded call -------------------------------------------------
    def guards(self, name):
        return name in self.matchers

    def begin(self, name):
        """Arm the watch for a call of ``name``; returns an error dict if the call is refused."""
        self.used, self.refused = [], []
        if name not in self.matchers:
            return None
        if len(self._current_frames()) > 1:
            return {"ename": "GuardRefused",
                    "evalue": "the notebook runs background threads; a graded function cannot be watched "
                              "while they run (stop them before the tests)"}
        self._installing = True
        try:
            self._setprofile(self._hook)
            self._threading_setprofile(self._hook)
        finally:
            self._installing = False
        self.active = self.matchers[name]
        return None

    def end(self, name):
        """Disarm; returns (used targets, refused operations, tampered?)."""
        if name not in self.matchers:
            return [], [], False
        tampered = self._getprofile() is not self._hook
        self.active = None
        self._installing = True
        try:
            self._setprofile(None)
            self._threading_setprofile(None)
        finally:
            self._installing = False
        return list(self.used), list(self.refused), tampered
