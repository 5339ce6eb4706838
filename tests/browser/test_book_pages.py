"""The built book, read the way a reader reads it: in a browser, offline.

Every page of ``_toc.yml`` is opened in headless Chromium (served from
``_build/html`` on 127.0.0.1; see conftest.py) and checked for what a reader
would notice: a page that does not load or logs errors, raw TeX where an equation
should be, a broken figure, a dead link, a jumbled outline, a solution dropdown
that does not open or close, code that scrolls sideways, a search that finds nothing,
and any request to
another site (the book must work without a network: MathJax, fonts and scripts
are all served by the site itself).

Tests taking ``toc_page`` run once per page of ``_toc.yml`` (see
``pytest_generate_tests`` in conftest.py), so a failure names its page.

Run: ``.venv/bin/pytest tests/browser -q`` after ``./tasks book``.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

pytestmark = pytest.mark.browser

SEARCH_PHRASE = "Fisher information"
_IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")


def _bullets(items) -> str:
    return "\n  - " + "\n  - ".join(str(i) for i in items)


# --------------------------------------------------------------------------------------
# The site as a whole


def test_site_root_redirects_to_the_first_page(browser, book):
    """``/`` (what GitHub Pages serves first) lands on the root page of _toc.yml."""
    page = browser.page
    browser.reset()
    page.goto(browser.base, wait_until="load")
    target = browser.base + book["root_page"]
    page.wait_for_url(target, wait_until="domcontentloaded", timeout=15_000)
    assert page.url == target


def test_navigation_lists_exactly_the_toc_pages(browser, book):
    """The sidebar of the root page links every page of _toc.yml, and nothing else."""
    browser.goto(book["root_page"])
    hrefs = browser.page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "links => links.map(a => a.href)"
    )
    assert hrefs, "no navigation sidebar (nav.bd-docs-nav) on the root page"
    in_nav = {
        urllib.parse.urldefrag(h).url.removeprefix(browser.base) for h in hrefs
    }
    toc = set(book["pages"])
    assert in_nav == toc, (
        f"sidebar and _toc.yml disagree; only in the sidebar: {sorted(in_nav - toc)}, "
        f"only in _toc.yml: {sorted(toc - in_nav)}"
    )


# --------------------------------------------------------------------------------------
# Every page


def test_page_loads_cleanly(visit, toc_page):
    """HTTP 200, every resource loads, styles apply, and the console stays free of errors."""
    report = visit(toc_page)
    assert report.status == 200, f"{toc_page}: HTTP {report.status}"
    problems = []
    problems += report.console_errors
    problems += report.bad_responses
    problems += [f"off-site request (blocked): {u}" for u in report.offsite]
    for sheet in report.stylesheets:
        if sheet["rules"] <= 0:
            problems.append(f"stylesheet not applied (cssRules={sheet['rules']}): {sheet['href']}")
    if not report.stylesheets:
        problems.append("no stylesheet at all: the page is unstyled")
    assert not problems, f"{toc_page}:" + _bullets(problems)


def test_equations_are_typeset(visit, toc_page):
    """MathJax finished, every equation is an mjx-container, no raw TeX is left in the text."""
    report = visit(toc_page)
    problems = []
    if report.mathjax not in ("typeset", "absent"):
        problems.append(f"MathJax did not finish: {report.mathjax}")
    if report.math_total and report.mathjax == "absent":
        problems.append(f"{report.math_total} equations but no MathJax script on the page")
    problems += [f"equation not typeset: {m!r}" for m in report.math_untypeset]
    problems += [f"MathJax error in an equation: {m!r}" for m in report.math_errors]
    problems += [f"raw TeX in the page text: {t!r}" for t in report.raw_tex]
    if report.math_total and report.mjx_count < report.math_total:
        problems.append(f"{report.math_total} equations but only {report.mjx_count} mjx-container")
    assert not problems, f"{toc_page}:" + _bullets(problems)


def test_the_book_has_typeset_math(visit, book):
    """Guard against a vacuous pass of the test above: the book's pages do contain equations."""
    typeset = {p: visit(p).mjx_count for p in book["pages"]}
    assert sum(typeset.values()) > 0, f"no typeset equation on any page: {typeset}"


def test_images_load_and_have_alt_text(visit, toc_page):
    """Every <img> (figures, launch-button logos) loads and says what it shows."""
    report = visit(toc_page)
    if not report.images:
        pytest.skip(f"{toc_page} has no image")
    problems = []
    for img in report.images:
        if not img["complete"] or img["naturalWidth"] == 0:
            problems.append(f"image does not load: {img['src']}")
        alt = (img["alt"] or "").strip()
        if not alt:
            problems.append(f"image without alt text: {img['src']}")
        elif alt.lower().endswith(_IMAGE_SUFFIXES) or alt.lstrip("./") in img["src"]:
            # myst-nb's default alt text for a figure output is its own file name.
            problems.append(f"alt text is only the file name ({alt!r}); say what the figure shows")
    assert not problems, f"{toc_page}:" + _bullets(problems)


def test_internal_links_resolve(visit, fetch_target, site_url, toc_page):
    """Every same-site link answers 200, and its #fragment names an element of the target page."""
    report = visit(toc_page)
    site = urllib.parse.urlsplit(site_url)
    here = urllib.parse.urldefrag(report.url).url
    problems = []
    checked = 0
    for href in sorted(set(report.links)):
        parts = urllib.parse.urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc != site.netloc:
            continue  # off-site links are not followed (the tests run offline)
        checked += 1
        status, ids = fetch_target(href)
        if status != 200:
            problems.append(f"HTTP {status}: {href}")
            continue
        fragment = urllib.parse.unquote(parts.fragment)
        if not fragment:
            continue
        targets = set(ids or ())
        if urllib.parse.urldefrag(href).url == here:
            targets |= report.ids  # ids added by scripts on this very page count too
        if fragment not in targets:
            problems.append(f"no element with id {fragment!r} in {urllib.parse.urldefrag(href).url}")
    assert checked > 0, f"{toc_page}: no same-site link at all (navigation missing?)"
    assert not problems, f"{toc_page}:" + _bullets(problems)


def test_heading_levels_are_in_order(visit, toc_page):
    """One h1 first, then no level skipped on the way down (h2 -> h4 is a skip)."""
    report = visit(toc_page)
    headings = report.headings
    assert headings, f"{toc_page}: no heading in the article"
    problems = []
    if headings[0][0] != 1:
        problems.append(f"first heading is h{headings[0][0]} {headings[0][1]!r}, not h1")
    h1s = [text for level, text in headings if level == 1]
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} h1 headings (a page has one title): {h1s}")
    for (prev, _), (level, text) in zip(headings, headings[1:]):
        if level > prev + 1:
            problems.append(f"h{prev} followed by h{level} {text!r}")
    assert not problems, f"{toc_page}:" + _bullets(problems)


def test_dropdowns_open_and_close(visit, toc_page):
    """Each solution dropdown (and hidden code cell) opens on click, shows its content, and closes again."""
    report = visit(toc_page)
    if report.dropdowns == 0:
        pytest.skip(f"{toc_page} has no dropdown")
    assert not report.dropdown_problems, f"{toc_page}:" + _bullets(report.dropdown_problems)


def test_the_book_has_dropdowns(visit, book):
    """Guard against a vacuous pass of the test above: practice solutions sit in dropdowns."""
    counts = {p: visit(p).dropdowns for p in book["pages"]}
    assert sum(counts.values()) > 0, f"no clickable dropdown on any page: {counts}"


def test_no_code_scrolls_sideways(visit, toc_page):
    """At the desktop width the tests use (1280 px, the theme's desktop layout with both
    sidebars), every code block fits its column: code cells, what they print, and code in
    the text, including the code of hidden cells and of solution dropdowns. (The column
    holds 75 characters of code; printed text may wrap, code may not.)"""
    report = visit(toc_page)
    assert not report.wide_code, f"{toc_page}: code that scrolls sideways:" + _bullets(report.wide_code)


def test_the_book_has_code_blocks(visit, book):
    """Guard against a vacuous pass of the test above: the chapters are full of code."""
    counts = {p: visit(p).code_blocks for p in book["pages"]}
    assert sum(counts.values()) > 100, f"hardly any <pre> block found: {counts}"


def test_launch_buttons_point_to_the_repository(visit, book, notebook_page):
    """Binder / Colab / JupyterHub buttons of a notebook page open THIS notebook of the configured repository."""
    config = book["config"]
    repo_url = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch", "main")
    book_path = (config["repository"].get("path_to_book") or "").strip("/")
    launch = config.get("launch_buttons") or {}
    owner_repo = urllib.parse.urlsplit(repo_url).path.strip("/")
    source = notebook_page.removesuffix(".html") + ".ipynb"
    if book_path:
        source = f"{book_path}/{source}"

    hrefs = visit(notebook_page).links

    expected = {}
    if launch.get("binderhub_url"):
        expected["Binder"] = f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}?urlpath="
    if launch.get("colab_url"):
        expected["Colab"] = f"{launch['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/{source}"
    if launch.get("jupyterhub_url"):
        expected["JupyterHub"] = f"{launch['jupyterhub_url'].rstrip('/')}/hub/user-redirect/git-pull?"
    assert expected, "_config.yml configures no launch button (launch_buttons: binderhub_url / colab_url / jupyterhub_url)"

    problems = []
    for name, prefix in expected.items():
        matches = [h for h in hrefs if h.startswith(prefix)]
        if not matches:
            problems.append(f"no {name} button starting with {prefix}")
            continue
        link = urllib.parse.urlsplit(matches[0])
        query = urllib.parse.parse_qs(link.query)
        if name == "Binder" and not query.get("urlpath", [""])[0].endswith(f"tree/{source}"):
            problems.append(f"Binder opens {query.get('urlpath')}, not {source}")
        if name == "JupyterHub":
            if query.get("repo", [""])[0] != repo_url or query.get("branch", [""])[0] != branch:
                problems.append(f"JupyterHub pulls {query.get('repo')}@{query.get('branch')}, not {repo_url}@{branch}")
            if not query.get("urlpath", [""])[0].endswith(source):
                problems.append(f"JupyterHub opens {query.get('urlpath')}, not {source}")
    if repo_url not in hrefs and repo_url + "/" not in hrefs:
        problems.append(f"no repository button linking {repo_url}")
    assert not problems, f"{notebook_page}:" + _bullets(problems)


# --------------------------------------------------------------------------------------
# Search, screenshots, and the offline guarantee


def test_search_finds_fisher_information(browser, visit, book):
    """Sphinx's client-side search (search.html) finds the pages that talk about Fisher information."""
    page = browser.page
    response, _ = browser.goto("search.html?q=" + urllib.parse.quote_plus(SEARCH_PHRASE))
    assert response is not None and response.status == 200
    page.wait_for_selector("#search-results .search-summary", timeout=15_000)
    summary = page.inner_text("#search-results .search-summary")
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    console = list(browser.console_errors) + list(browser.bad_responses)
    assert hrefs, f"search for {SEARCH_PHRASE!r} found nothing ({summary!r})"
    assert not console, "search page:" + _bullets(console)

    found = []
    for href in hrefs:
        path = urllib.parse.urlsplit(href).path.lstrip("/")
        assert path in book["pages"], f"search result {href} is not a page of _toc.yml"
        found.append(path)
    # The phrase itself (not just both words somewhere) is on at least one result page.
    phrase = re.compile(r"fisher\s+information", re.IGNORECASE)
    having = [p for p in found if phrase.search(visit(p).text)]
    assert having, f"no result page contains {SEARCH_PHRASE!r}: {found}"


def test_screenshots(browser, visit, book):
    """Full-page screenshots of three pages, for a human to look at (test-artifacts/screenshots/)."""
    pages = book["pages"]
    with_math = [p for p in pages if visit(p).mjx_count > 0]
    with_figure = [
        p for p in pages if any("/_images/" in img["src"] for img in visit(p).images)
    ]
    chosen = []
    # The landing page, a page with equations, a page with a figure (if they differ), ...
    with_figure = [p for p in with_figure if p not in (pages[0], *with_math[:1])] or with_figure
    for p in [pages[0], *with_math[:1], *with_figure[:1], *pages]:
        if p not in chosen:
            chosen.append(p)
    chosen = chosen[:3]
    out = book["artifacts"]
    out.mkdir(parents=True, exist_ok=True)
    for p in chosen:
        browser.goto(p)
        target = out / (p.removesuffix(".html").replace("/", "__") + ".png")
        png = browser.page.screenshot(path=str(target), full_page=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000, f"{p}: bad screenshot"
    assert len(chosen) == min(3, len(pages))


def test_no_request_left_the_site(browser, visit, book):
    """Over the whole session (every page, search, clicks): nothing was requested from another host."""
    for p in book["pages"]:
        visit(p)
    assert not browser.offsite, "requests to other hosts (blocked):" + _bullets(browser.offsite)
