"""Sphinx extension of the API reference: cross-references in mlekit's docstrings.

The reference documents each object once, under the name users import it by
(``mlekit.fit``, ``mlekit.MLEResult``; its module path when the package does not
re-export it). Docstrings name objects the way their module sees them: ``:func:`gof```
inside ``mlekit.goodness``, ``:class:`MLEResult``` inside ``mlekit.inference``,
``:class:`mlekit.results.MLEResult```. Sphinx looks for ``<module>.<name>`` and
``<name>`` only, so those would be broken links. For a reference Sphinx could not
resolve, this extension finds **the Python object the name denotes** (the attribute of
the module, or class, the docstring belongs to; the dotted path imported; or a name
the package ``mlekit`` exports) and links
to the documented name of that same object. Nothing is guessed from spelling alone.

Two kinds of unresolved names are shown as code instead of a warning:

- type descriptions in numpydoc fields (``cov : ndarray``, ``shape (k, p)``), which
  napoleon turns into implicit references (marked ``refspecific`` by Sphinx's Python
  domain); a type that is an mlekit object is linked by the rule above;
- names in numpy, scipy, pandas and matplotlib, whose inventories are not available
  offline (the book builds without network).

Every other unresolved reference still fails the build (``-W -n``).

It also adds the directive ``mlekit-summary``: a table of the objects named in its
content (full importable names, one a line), each linked, with the first line of its
docstring read at build time (its first paragraph when that line would cut an inline
literal: autosummary's first-sentence rule cuts ``0 .. k-1``).
"""

from __future__ import annotations

import importlib
import inspect

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_EXTERNAL = ("numpy.", "np.", "scipy.", "pandas.", "pd.", "matplotlib.")


def _lookup(path: str):
    parts = path.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return None
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                return None
    return obj


def _documented(env) -> dict:
    """id(object) -> documented full name, for every documented mlekit object."""
    cache = getattr(env, "_mlekit_documented", None)
    domain = env.get_domain("py")
    if cache is None or cache[0] != len(domain.objects):
        table = {}
        for full, entry in domain.objects.items():
            if full.startswith("mlekit") and not getattr(entry, "aliased", False):
                obj = _lookup(full)
                if obj is not None:
                    table.setdefault(id(obj), full)
        cache = (len(domain.objects), table)
        env._mlekit_documented = cache
    return cache[1]


def _candidates(node):
    target = node["reftarget"].lstrip(".~")
    module, cls = node.get("py:module"), node.get("py:class")
    if module:
        if cls:
            yield f"{module}.{cls}.{target}"
        yield f"{module}.{target}"
    yield target
    yield f"mlekit.{target}"  # a name the package exports (summary tables have no module context)


def resolve(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    documented = _documented(env)
    domain = env.get_domain("py")
    for path in _candidates(node):
        obj = _lookup(path)
        if obj is not None and id(obj) in documented:
            found = domain.resolve_any_xref(env, node["refdoc"], app.builder, documented[id(obj)], node, contnode)
            if found:
                return found[0][1]
    target = node["reftarget"].lstrip(".~")
    if node.get("refspecific") or target.startswith(_EXTERNAL):
        return contnode
    return None


def first_line(obj) -> str:
    """The docstring's first line; its first paragraph when the line has an odd number of backquotes."""
    doc = inspect.getdoc(obj) or ""
    para = doc.split("\n\n", 1)[0]
    line = para.splitlines()[0] if para else ""
    return " ".join((para if line.count("`") % 2 else line).split())


class SummaryTable(SphinxDirective):
    has_content = True

    def run(self):
        lines = [".. list-table::", "   :widths: 30 70", ""]
        for full in (c.strip() for c in self.content if c.strip()):
            obj = _lookup(full)
            if obj is None:
                raise self.error(f"mlekit-summary: cannot import {full!r}")
            lines += [f"   * - :py:obj:`~{full}`", f"     - {first_line(obj) or '(no docstring)'}"]
        box = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset, box)
        return box.children


def setup(app):
    app.add_directive("mlekit-summary", SummaryTable)
    app.connect("missing-reference", resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
