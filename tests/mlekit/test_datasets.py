"""The bundled data sets load, with the shapes and values of their published sources."""

import numpy as np
import pytest

from mlekit import datasets


@pytest.mark.parametrize(
    "loader, shape, columns",
    [
        # Row counts and columns as in R's datasets package (morley, discoveries, infert, faithful)
        # and Bortkiewicz's table (5 rows: 0-4 deaths).
        (datasets.load_michelson_morley, (100, 3), ["Expt", "Run", "Speed"]),
        (datasets.load_discoveries, (100, 2), ["year", "discoveries"]),
        (datasets.load_horse_kicks, (5, 2), ["deaths", "corps_years"]),
        (datasets.load_infert, (248, 8), ["education", "age", "parity", "induced", "case", "spontaneous", "stratum", "pooled.stratum"]),
        (datasets.load_old_faithful, (272, 2), ["eruptions", "waiting"]),
    ],
)
def test_shapes_and_columns(loader, shape, columns):
    df = loader()
    assert df.shape == shape
    assert list(df.columns) == columns
    assert not df.isna().any().any()


def test_known_summaries():
    # R: mean(morley$Speed) = 852.4; sum(discoveries) = 310; mean(faithful$waiting) = 70.89706;
    # sum(infert$case) = 83.
    assert datasets.load_michelson_morley()["Speed"].mean() == pytest.approx(852.4)
    assert datasets.load_discoveries()["discoveries"].sum() == 310
    assert datasets.load_old_faithful()["waiting"].mean() == pytest.approx(70.89706, abs=1e-5)
    assert datasets.load_infert()["case"].sum() == 83
    # Bortkiewicz: 200 corps-years, 122 deaths in all (the classic mean 0.61).
    kicks = datasets.load_horse_kicks()
    assert kicks["corps_years"].sum() == 200
    assert np.dot(kicks["deaths"], kicks["corps_years"]) == 122


def test_loaders_return_fresh_copies():
    a = datasets.load_discoveries()
    a.loc[0, "discoveries"] = -1
    assert datasets.load_discoveries().loc[0, "discoveries"] == 5
