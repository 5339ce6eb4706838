"""A static scan of the student's code: findings for the instructor's report.

What it can say: a cell *mentions* mlekit's reference of an asked function
(``from mlekit import fit``, ``Bernoulli().mle``, ``importlib.import_module``
or ``__import__`` with a string naming mlekit, ``getattr`` with a reference
name), or does something that targets the grader (introspection that could
reach the runtime guard, IPython hooks, process control).

What it cannot prove: Python can build any name at run time
(``getattr(m, "m" + "le")``) or copy the reference's source text, so a clean
scan proves nothing. The grade does not depend on this scan; the runtime guard
(:mod:`autograder._sandbox`) decides whether a graded call reached the reference.
"""

from __future__ import annotations

import ast
import re

INTROSPECTION = {"__closure__", "cell_contents", "__wrapped__", "_getframe", "f_back", "f_globals",
                 "f_locals", "__code__", "__globals__", "get_referrers", "get_referents", "__subclasses__"}
IPYTHON_HOOKS = {"set_custom_exc", "input_transformers_cleanup", "input_transformers_post", "ast_transformers",
                 "showtraceback", "InteractiveTB", "register_magic_function", "events"}
PROCESS = {("os", "_exit"), ("os", "fork"), ("os", "kill"), ("os", "killpg"), ("sys", "exit"), ("os", "system"),
           ("os", "setsid"), ("signal", "signal")}
SUSPICIOUS_MODULES = {"ctypes", "gc", "subprocess", "multiprocessing", "importlib", "inspect", "signal"}


def _strip_magics(code: str) -> str:
    return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in code.splitlines())


def scan(code: str, reference_names: set[str]) -> list[str]:
    """Findings (strings) for one cell of student code."""
    try:
        tree = ast.parse(_strip_magics(code))
    except SyntaxError:
        return []
    found: list[str] = []

    def add(msg):
        if msg not in found:
            found.append(msg)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in SUSPICIOUS_MODULES:
                    add(f"imports {alias.name}")
                if root == "mlekit" and alias.name.split(".")[-1] in reference_names:
                    add(f"imports mlekit's reference module {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if mod.split(".")[0] in SUSPICIOUS_MODULES:
                add(f"imports from {mod}")
            if mod.split(".")[0] == "mlekit":
                for alias in node.names:
                    if alias.name in reference_names:
                        add(f"imports mlekit's reference {alias.name} from {mod}"
                            + (f" as {alias.asname}" if alias.asname else ""))
        elif isinstance(node, ast.Attribute):
            if node.attr in reference_names:
                add(f"uses .{node.attr} (possibly mlekit's reference)")
            if node.attr in INTROSPECTION:
                add(f"introspection: .{node.attr} (could reach the grader's guard)")
            if node.attr in IPYTHON_HOOKS:
                add(f"IPython hook: .{node.attr} (changes how cells run)")
            if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in PROCESS:
                add(f"process control: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if fname in ("__import__", "import_module") and any(s.startswith("mlekit") for s in strings):
                add(f"{fname}({', '.join(map(repr, strings))}): dynamic import of mlekit")
            if fname in ("getattr", "setattr", "delattr"):
                if any(s in reference_names for s in strings):
                    add(f"{fname} with the reference name {strings}")
                elif len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
                    add(f"{fname} with a computed name")
            if fname in ("exec", "eval", "compile"):
                add(f"calls {fname}")
        elif isinstance(node, ast.Name) and node.id in ("__import__", "__builtins__", "get_ipython"):
            add(f"uses {node.id}")
    return found
