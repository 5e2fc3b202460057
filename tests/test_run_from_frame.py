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
