"""Run.from_frame's fast paths (categorical tags, per-tag restart policy) give exactly what
the straightforward implementation gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganlogs.run import Run


def reference_flags(tags, steps):
    """Row i is superseded when a later row of its tag has a step <= its own; tags whose
    steps are all equal are left alone."""
    tags = list(tags)
    steps = list(steps)
    out = []
    for i, (t, s) in enumerate(zip(tags, steps)):
        same = [steps[j] for j in range(len(tags)) if tags[j] == t]
        if len(same) > 1 and min(same) == max(same):
            out.append(False)
            continue
        out.append(any(tags[j] == t and steps[j] <= s for j in range(i + 1, len(tags))))
    return np.array(out, dtype=bool)


def _frame(rng, n, n_tags, categorical):
    tags = [f"t{int(x)}" for x in rng.integers(0, n_tags, n)]
    steps = rng.integers(-3, 12, n)
    if rng.random() < 0.3:
        steps = np.sort(steps)
    f = pd.DataFrame({"tag": tags, "step": steps, "value": rng.normal(size=n),
                      "source": [f"f{int(x)}" for x in rng.integers(0, 3, n)]})
    if categorical:
        f["tag"] = pd.Categorical(f["tag"], categories=sorted(set(tags), reverse=True)
                                  + ["unused"])
        f["source"] = f["source"].astype("category")
    return f


@pytest.mark.parametrize("seed", range(40))
def test_flags_match_reference(seed):
    rng = np.random.default_rng(seed)
    n_tags = [1, 3, 40][seed % 3]
    frame = _frame(rng, int(rng.integers(1, 120)), n_tags, categorical=False)
    run = Run.from_frame(frame, run_id="r", path="p", format="x")
    want = reference_flags(frame["tag"], frame["step"])
    np.testing.assert_array_equal(run.scalars["superseded"].to_numpy(), want)


@pytest.mark.parametrize("seed", range(10))
def test_categorical_input_same_as_strings(seed):
    rng = np.random.default_rng(seed)
    frame = _frame(rng, 200, 5, categorical=False)
    cat = frame.copy()
    cat["tag"] = pd.Categorical(cat["tag"], categories=sorted(set(cat["tag"]), reverse=True)
                                + ["unused"])
    cat["source"] = cat["source"].astype("category")
    a = Run.from_frame(frame, run_id="r", path="p", format="x")
    b = Run.from_frame(cat, run_id="r", path="p", format="x")
    pd.testing.assert_frame_equal(a.scalars, b.scalars)
    assert a.meta == b.meta


def test_constant_step_warning_names_the_step():
    frame = pd.DataFrame({"tag": ["a", "b", "b", "a"], "step": [0, 7, 7, 1],
                          "value": [1.0, 2.0, 3.0, 4.0]})
    run = Run.from_frame(frame, run_id="r", path="p", format="x")
    assert any("'b' is at step 7" in w for w in run.meta.warnings)


@pytest.mark.parametrize("n_tags", [3, 40])
@pytest.mark.parametrize("kind", ["str", "unicode", "int"])
def test_categorical_tags_sorted_and_narrowed_as_pandas_does(kind, n_tags):
    """Categories in any order, some unused, non-ASCII names (code point order) or numbers
    (read as their text): the same categories, dtype and codes as from the strings."""
    rng = np.random.default_rng(n_tags)
    names = {"str": [f"t{i}" for i in range(n_tags)],
             "unicode": [f"{c}{i}" for i, c in zip(range(n_tags), "Zaé_Ωz" * 10)],
             "int": list(range(n_tags))}[kind]
    tags = [names[int(x)] for x in rng.integers(0, n_tags - 1, 300)]  # the last one unused
    plain = pd.DataFrame({"tag": [str(t) for t in tags], "step": np.arange(300),
                          "value": rng.normal(size=300)})
    cat = plain.copy()
    cat["tag"] = pd.Categorical(tags, categories=list(reversed(names)))
    a = Run.from_frame(plain, run_id="r", path="p", format="x")
    b = Run.from_frame(cat, run_id="r", path="p", format="x")
    pd.testing.assert_frame_equal(a.scalars, b.scalars, check_exact=True)
    assert a.scalars["tag"].cat.categories.dtype == b.scalars["tag"].cat.categories.dtype
    assert list(b.scalars["tag"].cat.categories) == sorted({str(t) for t in tags})
    assert a.tags == b.tags


def test_columns_kept_from_construction_are_the_frames():
    """from_frame keeps the numpy columns it built; a Run made from the same frame and meta
    (which reads them back from the frame) has the same tags, summary and series, on every
    fixture."""
    import warnings
    from pathlib import Path

    from ganlogs.readers import discover, load

    found = discover(Path(__file__).resolve().parents[1] / "fixtures")
    assert found.sources
    for source in found.sources:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs = load(source)
        for built in runs:
            again = Run(built.scalars, built.meta)
            assert built.tags == again.tags, source.run_id
            assert built.series_summary() == again.series_summary(), source.run_id
            for tag in built.tags:
                pd.testing.assert_series_equal(built.series(tag), again.series(tag),
                                               check_exact=True)


def test_a_mapping_of_columns_gives_the_frames_run():
    """from_frame takes a mapping of columns (numpy arrays taken over, a Categorical, lists)
    and gives exactly the Run of the same columns as a DataFrame."""
    rng = np.random.default_rng(7)
    frame = _frame(rng, 150, 4, categorical=True)
    frame["wall_time"] = rng.normal(size=150)
    as_frame = Run.from_frame(frame, run_id="r", path="p", format="x")
    columns = {"tag": frame["tag"].array.copy(), "step": frame["step"].to_numpy().copy(),
               "value": frame["value"].to_numpy().copy(),
               "wall_time": list(frame["wall_time"]),
               "source": frame["source"].to_numpy().astype(object)}
    as_mapping = Run.from_frame(columns, run_id="r", path="p", format="x")
    pd.testing.assert_frame_equal(as_mapping.scalars, as_frame.scalars, check_exact=True)
    assert as_mapping.meta == as_frame.meta and as_mapping.tags == as_frame.tags
    floats = dict(columns, step=columns["step"].astype(float))
    pd.testing.assert_frame_equal(Run.from_frame(floats, run_id="r", path="p",
                                                 format="x").scalars, as_frame.scalars)
    with pytest.raises(ValueError, match="differ in length"):
        Run.from_frame(dict(columns, value=columns["value"][:-1]), run_id="r", path="p",
                       format="x")
    with pytest.raises(ValueError, match="non-numeric or missing"):
        Run.from_frame(dict(floats, step=np.r_[np.nan, floats["step"][1:]]), run_id="r",
                       path="p", format="x")
    with pytest.raises(ValueError, match="lacks column"):
        Run.from_frame({"tag": columns["tag"], "step": columns["step"]}, run_id="r",
                       path="p", format="x")
