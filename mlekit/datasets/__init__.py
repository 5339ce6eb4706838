"""Small, classic, real data sets used by the book and the exercises.

Each loader returns a fresh :class:`pandas.DataFrame` read from a CSV file that
ships inside the package (no network, no files outside ``mlekit``). The source
of each data set is in its loader's docstring; cite it when you use it.

=====================  =====  ==========================================  ==============================
loader                 rows   what                                        used for
=====================  =====  ==========================================  ==============================
load_michelson_morley  100    speed of light, 5 experiments x 20 runs     Gaussian MLE
load_discoveries       100    great discoveries per year, 1860-1959       Poisson MLE, over-dispersion
load_horse_kicks       5      deaths by horse kick, frequency table       Poisson from grouped counts
load_infert            248    infertility case-control study              logistic regression
load_old_faithful      272    Old Faithful eruptions and waiting times    Gaussian mixture by EM
=====================  =====  ==========================================  ==============================
"""

from __future__ import annotations

from importlib import resources

__all__ = [
    "load_discoveries",
    "load_horse_kicks",
    "load_infert",
    "load_michelson_morley",
    "load_old_faithful",
]


def _read(name: str):
    import pandas as pd  # imported here so that `import mlekit` stays light

    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def load_michelson_morley():
    """Michelson's 1879 measurements of the speed of light (in air).

    Columns: ``Expt`` (experiment 1-5), ``Run`` (1-20), ``Speed`` (km/s minus
    299,000). 100 rows. The measurements were made between 5 June and 2 July 1879.

    Source: A. A. Michelson (1880), "Experimental determination of the velocity
    of light made at the U.S. Naval Academy, Annapolis", *Astronomical Papers
    of the American Ephemeris and Nautical Almanac* 1 (part III), 109-145
    (issued 1880; the bound volume 1 is dated 1882, the year R's ``?morley``
    gives), via R ``datasets::morley`` (Weekes, 1986; Stigler, 1977, Table 6).
    Stigler (1977) gives 734.5 on this scale as the "true" value appropriate for
    comparison with these measurements: the modern speed of light with the
    corrections Michelson himself applied to his readings taken into account.
    """
    return _read("michelson_morley.csv")


def load_discoveries():
    """Number of "great" inventions and scientific discoveries per year, 1860-1959.

    Columns: ``year``, ``discoveries`` (a count). 100 rows.

    Source: The World Almanac and Book of Facts, 1975, via R ``datasets::discoveries``.
    """
    return _read("discoveries.csv")


def load_horse_kicks():
    """Deaths by horse kick in the Prussian cavalry, as a frequency table.

    Columns: ``deaths`` (0-4 per corps-year) and ``corps_years`` (how many of the
    200 corps-years had that many deaths). Expand with
    ``np.repeat(df.deaths, df.corps_years)`` to get the 200 observations.

    Source: L. von Bortkiewicz (1898), *Das Gesetz der kleinen Zahlen*.
    """
    return _read("horse_kicks.csv")


def load_infert():
    """Infertility after spontaneous and induced abortion: a matched case-control study.

    Columns: ``education``, ``age``, ``parity``, ``induced`` (0, 1, 2+ coded 0-2),
    ``case`` (1 = case, 0 = control), ``spontaneous`` (0-2), ``stratum``,
    ``pooled.stratum``. 248 rows. The classic model is
    ``case ~ age + parity + induced + spontaneous``.

    Source: Trichopoulos et al. (1976), via R ``datasets::infert``.
    """
    return _read("infert.csv")


def load_old_faithful():
    """Old Faithful geyser, Yellowstone: eruption length and waiting time.

    Columns: ``eruptions`` (minutes), ``waiting`` (minutes to the next eruption).
    272 rows; both columns are bimodal.

    Source: Härdle (1991), via R ``datasets::faithful``.
    """
    return _read("old_faithful.csv")
