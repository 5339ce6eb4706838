"""Fixtures for the browser tests: the built book, served locally, in the system Chromium.

The book (``_build/html``, written by ``./tasks book``) is served by ``http.server``
on 127.0.0.1 at a free port, in a thread. One headless Chromium (Debian's
``chromium`` package; Playwright never downloads a browser) is launched for the
whole session and one tab is reused for every page.

Every request to a host other than 127.0.0.1 is aborted and recorded: the book
must work offline, MathJax and fonts included.

Each page of the table of contents is visited once; what the tests need from it
(console errors, typeset math, images, links, headings, ...) is collected in a
:class:`PageReport` and cached, so that the per-page tests stay fast and a failure
names its page.
"""

from __future__ import annotations

import dataclasses
import functools
import html.parser
import http.server
import os
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
TOC = ROOT / "_toc.yml"
CONFIG = ROOT / "_config.yml"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
HOST = "127.0.0.1"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium contacts Google's servers on its own.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers (CI) often have a 64 MB /dev/shm, too small for Chromium's shared memory.
    "--disable-dev-shm-usage",
]

# Time limits (milliseconds). A page of this book loads in well under a second
# from localhost; these only bound a hang.
NAV_TIMEOUT_MS = 20_000
MATHJAX_TIMEOUT_MS = 15_000


# --------------------------------------------------------------------------------------
# The pages: read from _toc.yml at collection time (so a failure names its page)


def toc_docnames() -> list[str]:
    """Docnames of ``_toc.yml`` in reading order (root first), e.g. ``chapters/index``.

    Uses sphinx-external-toc, the parser Jupyter Book itself uses, so every
    ``_toc.yml`` form the build accepts (parts, chapters, sections) is understood.
    """
    from sphinx_external_toc.api import FileItem, GlobItem
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(TOC)
    order: list[str] = []

    def walk(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, FileItem):
                    walk(str(item))
                elif isinstance(item, GlobItem):
                    raise ValueError(
                        f"_toc.yml: glob entry {item!r} is not supported by tests/browser; "
                        "list the files explicitly"
                    )
                # UrlItem: an external link, not a page of the book

    walk(site_map.root.docname)
    return order


def page_path(docname: str) -> str:
    """URL path of a docname in the built site, relative to the site root."""
    return docname + ".html"


# --------------------------------------------------------------------------------------
# The local web server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The browser closes keep-alive connections at will; that is not an error of the book.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


# ``./tasks test`` builds the book while the other tests run and names here a file
# that receives the build's exit status when it ends; the browser tests wait for it.
BOOK_STATUS = os.environ.get("MLEKIT_BOOK_BUILD_STATUS")
BOOK_WAIT_S = 900  # the book builds in about 1-2 minutes; this only bounds a hang


def _wait_for_book_build() -> None:
    if not BOOK_STATUS:
        return
    status_file = Path(BOOK_STATUS)
    deadline = time.monotonic() + BOOK_WAIT_S
    while not status_file.is_file():
        if time.monotonic() > deadline:
            pytest.fail(f"the book build did not finish within {BOOK_WAIT_S} s", pytrace=False)
        time.sleep(0.5)
    status = status_file.read_text().strip()
    if status != "0":
        pytest.fail(f"the book build failed (exit status {status}); its log follows the test report", pytrace=False)


@pytest.fixture(scope="session")
def site_url():
    """Base URL (ending in '/') of ``_build/html`` served on 127.0.0.1 at a free port."""
    _wait_for_book_build()
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"the built book is missing ({SITE.relative_to(ROOT)}/index.html): "
            "run ./tasks book first (./tasks test builds it before running pytest)",
            pytrace=False,
        )
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = _Server((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def chromium_executable() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


# --------------------------------------------------------------------------------------
# The browser


@dataclasses.dataclass(repr=False)
class Browser:
    """One Chromium tab shared by the session, with what it has seen so far."""

    page: object  # playwright.sync_api.Page
    base: str
    offsite: list[str]  # every request to another host, aborted (whole session)
    console_errors: list[str]  # console errors and uncaught exceptions since the last reset
    bad_responses: list[str]  # same-site responses >= 400 or failed requests since the last reset

    def reset(self) -> None:
        self.console_errors.clear()
        self.bad_responses.clear()

    def goto(self, path: str):
        """Open ``path`` (relative to the site root) and wait for MathJax if the page loads it."""
        self.reset()
        response = self.page.goto(self.base + path, wait_until="load", timeout=NAV_TIMEOUT_MS)
        mathjax = self.page.evaluate(_WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT_MS)
        # Web fonts (MathJax's and the theme's) are requested while typesetting; wait for them
        # so that a missing or off-site font shows up as a failure of this page.
        self.page.evaluate("document.fonts.ready.then(() => true)")
        return response, mathjax


# Resolves to "absent" (no MathJax script on the page), "typeset" (MathJax's startup
# promise resolved, i.e. the initial typesetting finished), "failed: ..." or "timeout".
_WAIT_FOR_MATHJAX = """
async (timeoutMs) => {
  const script = Array.from(document.scripts).find(s => /mathjax/i.test(s.src));
  if (!script) return "absent";
  const started = () => window.MathJax && MathJax.startup && MathJax.startup.promise;
  const t0 = performance.now();
  // The page's "load" event has fired, so a deferred MathJax that loaded has already
  // run; a short grace period is enough before calling it missing.
  while (!started()) {
    if (performance.now() - t0 > 3000) return "MathJax never started (did " + script.src + " load?)";
    await new Promise(r => setTimeout(r, 20));
  }
  try {
    await Promise.race([
      MathJax.startup.promise,
      new Promise((_, rej) => setTimeout(() => rej(new Error("timeout")), timeoutMs)),
    ]);
    return "typeset";
  } catch (e) {
    return "failed: " + e;
  }
}
"""


@pytest.fixture(scope="session")
def browser(site_url):
    """A :class:`Browser`: one headless Chromium, network restricted to the local server."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium found: install Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    origin_host = urllib.parse.urlsplit(site_url).hostname
    offsite: list[str] = []
    console_errors: list[str] = []
    bad_responses: list[str] = []

    def route(route):
        url = route.request.url
        if urllib.parse.urlsplit(url).hostname == origin_host:
            route.continue_()
        else:
            offsite.append(f"{url} (requested by {route.request.frame.url})")
            route.abort()

    def on_console(msg):
        if msg.type != "error":
            return
        where = msg.location.get("url", "") if msg.location else ""
        # Chromium asks every site for /favicon.ico by itself when the page declares no
        # icon; that 404 is the browser's request, not the page's (the site is still checked:
        # a favicon the page *declares* goes through the same response check below).
        if where.endswith("/favicon.ico"):
            return
        console_errors.append(f"console.error: {msg.text}" + (f" ({where})" if where else ""))

    def on_pageerror(exc):
        console_errors.append(f"uncaught exception: {exc}")

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            bad_responses.append(f"HTTP {response.status}: {response.url}")

    def on_requestfailed(request):
        if urllib.parse.urlsplit(request.url).hostname == origin_host:
            bad_responses.append(f"request failed ({request.failure}): {request.url}")

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
            context.route("**/*", route)
            # Every page may be a reader's first page (arriving from a search engine):
            # start each visit with empty storage, as a first-time visitor has.
            context.add_init_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", on_pageerror)
            page.on("response", on_response)
            page.on("requestfailed", on_requestfailed)
            yield Browser(page, site_url, offsite, console_errors, bad_responses)
            context.close()
        finally:
            chromium.close()


# --------------------------------------------------------------------------------------
# One visit per page, cached


@dataclasses.dataclass(repr=False)
class PageReport:
    def __repr__(self) -> str:  # keep assertion messages short: the fields are long
        return f"PageReport({self.path!r})"

    path: str
    status: int | None
    url: str  # final URL after redirects
    mathjax: str
    console_errors: list[str]
    bad_responses: list[str]
    offsite: list[str]
    math_total: int  # Sphinx math elements (span.math / div.math)
    math_untypeset: list[str]  # math elements without an mjx-container inside
    math_errors: list[str]  # MathJax error boxes (mjx-merror), e.g. an undefined macro
    raw_tex: list[str]  # visible text that still looks like TeX
    mjx_count: int
    images: list[dict]
    links: list[str]  # absolute hrefs of every <a>
    ids: set[str]
    headings: list[tuple[int, str]]  # (level, text) in the article, document order
    stylesheets: list[dict]
    dropdowns: int  # dropdowns (details, toggle buttons) clicked open and closed
    dropdown_problems: list[str]
    text: str  # visible text of the article
    code_blocks: int  # <pre> blocks in the article (code cells, their output, code in the text)
    wide_code: list[str]  # the <pre> blocks wider than their column (they scroll sideways)


_COLLECT = r"""
async () => {
  // Lazy images only load when scrolled into view: load them all now, then wait.
  const imgs = Array.from(document.images);
  imgs.forEach(i => { if (i.loading === "lazy") i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.complete ? null :
    new Promise(r => { i.addEventListener("load", r, {once: true}); i.addEventListener("error", r, {once: true});
                       setTimeout(r, 5000); })));

  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;

  // Text left raw by MathJax: walk every text node outside code, scripts and typeset math.
  const SKIP = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT", "MJX-CONTAINER", "KBD", "SAMP", "TEMPLATE"]);
  const rawTex = [];
  const pattern = /\$\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]{2,}|\$[^$\s][^$]*[\\^_{}][^$]*\$/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (SKIP.has(el.tagName) || el.classList.contains("highlight") || el.classList.contains("onlyprint")) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const m = n.textContent.match(pattern);
    if (m) rawTex.push(n.textContent.trim().slice(0, 120));
  }

  const maths = Array.from(document.querySelectorAll("span.math, div.math"));
  const headings = Array.from(article.querySelectorAll("h1, h2, h3, h4, h5, h6"))
    .map(h => [Number(h.tagName[1]), h.textContent.replace(/#$/, "").trim()]);
  const stylesheets = Array.from(document.querySelectorAll('link[rel="stylesheet"]')).map(l => {
    let rules = -1;
    try { rules = l.sheet ? l.sheet.cssRules.length : -1; } catch (e) { rules = -2; }
    return {href: l.href, rules};
  });
  // Code that scrolls sideways: every <pre> of the article, including those in closed
  // dropdowns and hidden code cells (opened for the measurement, then closed again), is
  // compared with the width of its box at the page's viewport (1280 px, see browser()).
  const closed = Array.from(article.querySelectorAll("details:not([open])"));
  closed.forEach(d => { d.open = true; });
  const toggled = Array.from(article.querySelectorAll(".toggle-hidden"));
  toggled.forEach(e => e.classList.remove("toggle-hidden"));
  const pres = Array.from(article.querySelectorAll("pre"));
  const wideCode = pres.filter(pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => {
    const lines = pre.innerText.split("\n");
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
    const where = pre.closest(".cell_output") ? "output" : pre.closest(".cell_input") ? "code cell" : "code block";
    return `${where}: ${pre.scrollWidth} px of text in a ${pre.clientWidth} px box; longest line ` +
           `(${longest.length} characters): ${longest.slice(0, 100)}`;
  });
  closed.forEach(d => { d.open = false; });
  toggled.forEach(e => e.classList.add("toggle-hidden"));

  return {
    codeBlocks: pres.length,
    wideCode,
    mathTotal: maths.length,
    mathUntypeset: maths.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.trim().slice(0, 120)),
    mathErrors: Array.from(document.querySelectorAll("mjx-merror")).map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 120)),
    rawTex,
    mjxCount: document.querySelectorAll("mjx-container").length,
    images: imgs.map(i => ({src: i.currentSrc || i.src, complete: i.complete, naturalWidth: i.naturalWidth,
                            alt: i.getAttribute("alt")})),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    ids: Array.from(document.querySelectorAll("[id]")).map(e => e.id)
      .concat(Array.from(document.querySelectorAll("a[name]")).map(a => a.name)),
    headings,
    stylesheets,
    text: article.innerText,
  };
}
"""


def _dropdowns(page):
    """(kind, handle, content, box) for every dropdown of the article a reader can click."""
    article = page.query_selector("article.bd-article")
    if article is None:
        return []
    found = []
    # sphinx-design dropdowns and hidden code cells (myst-nb): <details><summary>
    for box in article.query_selector_all("details"):
        handle = box.query_selector(":scope > summary")
        content = box.query_selector(":scope > :not(summary)")
        if handle and content and handle.is_visible():
            found.append(("details", handle, content, box))
    # sphinx-togglebutton admonitions (":class: dropdown"): a button toggles .toggle-hidden
    for handle in article.query_selector_all("button.toggle-button"):
        box = page.query_selector(f"#{handle.get_attribute('data-target')}")
        content = box.query_selector(":scope > :not(.admonition-title)") if box else None
        if content and handle.is_visible():
            found.append(("toggle", handle, content, box))
    return found


_IS_OPEN = {
    "details": "b => b.open",
    "toggle": "b => !b.classList.contains('toggle-hidden')",
}


def exercise_dropdowns(page) -> tuple[int, list[str]]:
    """Click every dropdown twice: each click must flip it (open <-> closed), and its
    content must be visible exactly when open. Returns (number of dropdowns, problems)."""
    problems = []
    found = _dropdowns(page)
    for kind, handle, content, box in found:
        label = " ".join(handle.inner_text().split())[:50] or kind
        start = box.evaluate(_IS_OPEN[kind])
        for want in (not start, start):
            try:
                handle.click(timeout=5_000)
                page.wait_for_function(
                    f"(b) => ({_IS_OPEN[kind]})(b) === {str(want).lower()}", arg=box, timeout=2_000
                )
            except Exception as exc:  # playwright TimeoutError: name the dropdown instead of failing here
                problems.append(f"dropdown {label!r}: click did not {'open' if want else 'close'} it "
                                f"({str(exc).splitlines()[0]})")
                break
            if content.is_visible() != want:
                problems.append(
                    f"dropdown {label!r}: {'open' if want else 'closed'} but its content is "
                    f"{'hidden' if want else 'still visible'}"
                )
    return len(found), problems


@pytest.fixture(scope="session")
def visit(browser):
    """``visit(path) -> PageReport``: open a page of the site once and report what it shows."""
    cache: dict[str, PageReport] = {}

    def _visit(path: str) -> PageReport:
        if path not in cache:
            offsite_before = len(browser.offsite)
            response, mathjax = browser.goto(path)
            data = browser.page.evaluate(_COLLECT)
            console_errors_before_clicks = list(browser.console_errors)
            # Last, as it changes the page: open and close every dropdown.
            n_dropdowns, dropdown_problems = exercise_dropdowns(browser.page)
            cache[path] = PageReport(
                path=path,
                status=response.status if response is not None else None,
                url=browser.page.url,
                mathjax=mathjax,
                console_errors=console_errors_before_clicks,
                bad_responses=list(browser.bad_responses),
                offsite=browser.offsite[offsite_before:],
                math_total=data["mathTotal"],
                math_untypeset=data["mathUntypeset"],
                math_errors=data["mathErrors"],
                raw_tex=data["rawTex"],
                mjx_count=data["mjxCount"],
                images=data["images"],
                links=data["links"],
                ids=set(data["ids"]),
                headings=[tuple(h) for h in data["headings"]],
                stylesheets=data["stylesheets"],
                dropdowns=n_dropdowns,
                dropdown_problems=dropdown_problems + browser.console_errors[len(console_errors_before_clicks):],
                text=data["text"],
                code_blocks=data["codeBlocks"],
                wide_code=data["wideCode"],
            )
        return cache[path]

    return _visit


# --------------------------------------------------------------------------------------
# Link targets, fetched over HTTP from the same server (what a reader's browser would get)


class _IdCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


@pytest.fixture(scope="session")
def fetch_target(site_url):
    """``fetch_target(url) -> (status, ids)`` for a same-site URL (fragment ignored), cached."""
    cache: dict[str, tuple[int, set[str] | None]] = {}

    def _fetch(url: str):
        key = urllib.parse.urldefrag(url).url
        if key not in cache:
            try:
                with urllib.request.urlopen(key, timeout=10) as resp:
                    body = resp.read()
                    status = resp.status
                    ctype = resp.headers.get_content_type()
            except urllib.error.HTTPError as err:
                err.close()
                cache[key] = (err.code, None)
                return cache[key]
            ids = None
            if ctype == "text/html":
                collector = _IdCollector()
                collector.feed(body.decode("utf-8", errors="replace"))
                collector.close()
                ids = collector.ids
            cache[key] = (status, ids)
        return cache[key]

    return _fetch


# --------------------------------------------------------------------------------------
# Parametrization: a test asking for ``toc_page`` runs once per page of _toc.yml;
# ``notebook_page`` once per page whose source is a notebook (launch buttons).


def notebook_docnames() -> list[str]:
    return [d for d in toc_docnames() if (ROOT / f"{d}.ipynb").is_file()]


def pytest_generate_tests(metafunc):
    if "toc_page" in metafunc.fixturenames:
        metafunc.parametrize("toc_page", [page_path(d) for d in toc_docnames()])
    if "notebook_page" in metafunc.fixturenames:
        metafunc.parametrize("notebook_page", [page_path(d) for d in notebook_docnames()])


@pytest.fixture(scope="session")
def book():
    """Static facts about the book: its pages (from _toc.yml) and its repository settings."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return {
        "pages": [page_path(d) for d in toc_docnames()],
        "root_page": page_path(toc_docnames()[0]),
        "config": config,
        "artifacts": ARTIFACTS,
        "site": SITE,
    }
