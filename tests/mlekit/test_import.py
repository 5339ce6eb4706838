"""`import mlekit` stays light: it runs in every chapter and every graded notebook."""

import subprocess
import sys


def test_import_does_not_load_heavy_modules():
    # scipy.stats/optimize cost about 1 s to import and most uses never need them;
    # matplotlib and pandas load only with plotting and datasets.
    code = (
        "import sys, mlekit\n"
        "heavy = [m for m in ('scipy.stats', 'scipy.optimize', 'matplotlib', 'pandas') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import mlekit loaded: {out.stdout.strip()}"


def test_lazy_module_loads_on_first_use():
    from mlekit import _lazy

    assert _lazy.stats.norm.cdf(0.0) == 0.5  # the first attribute access imports scipy.stats
    assert "loaded" in repr(_lazy.stats)
