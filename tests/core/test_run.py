"""The Run model: columns, dtypes, the restart policy and the detector view."""

import math

import numpy as np
import pandas as pd
import pytest

from ganlogs import Run, UsageError


def make(rows, **kw):
    frame = pd.DataFrame(rows, columns=["tag", "step", "value"])
    return Run.from_frame(frame, run_id="r", path="/x/r", format="csv_long", **kw)


def test_columns_and_dtypes():
    run = make([("d", 0, 1.0), ("g", 0, 2.0)])
    assert list(run.scalars.columns) == ["tag", "step", "value", "wall_time", "source", "superseded"]
    assert run.scalars["step"].dtype == np.int64
    assert run.scalars["value"].dtype == np.float64
    assert isinstance(run.scalars["tag"].dtype, pd.CategoricalDtype)
    assert run.scalars["wall_time"].isna().all()
    assert list(run.scalars["source"]) == ["r", "r"]


def test_nan_and_inf_are_kept():
    run = make([("d", 0, 1.0), ("d", 1, math.nan), ("d", 2, math.inf), ("d", 3, -math.inf)])
    v = run.series("d").to_numpy()
    assert v[0] == 1.0 and math.isnan(v[1]) and v[2] == math.inf and v[3] == -math.inf


def test_restart_keeps_new_points_from_first_overlapping_step():
    # old file: steps 0..9 values 0..9; new file: steps 5..11 values 105..111
    old = [("d", s, float(s)) for s in range(10)]
    new = [("d", s, 100.0 + s) for s in range(5, 12)]
    run = make(old + new)
    assert len(run.scalars) == 17  # nothing deleted
    assert run.scalars["superseded"].tolist() == [False] * 5 + [True] * 5 + [False] * 7
    view = run.series("d")
    assert view.index.tolist() == list(range(12))
    assert view.tolist() == [0, 1, 2, 3, 4, 105, 106, 107, 108, 109, 110, 111]
    assert any("superseded" in w for w in run.meta.warnings)


def test_restart_policy_is_per_tag():
    rows = [("d", 0, 0.0), ("d", 1, 1.0), ("g", 5, 5.0), ("d", 1, 11.0)]
    run = make(rows)
    assert run.scalars["superseded"].tolist() == [False, True, False, False]
    assert run.series("g").tolist() == [5.0]


def test_all_zero_steps_use_record_order():
    run = make([("d", 0, float(i)) for i in range(6)])
    assert not run.scalars["superseded"].any()
    assert run.series("d").index.tolist() == list(range(6))
    assert run.series("d").tolist() == [0, 1, 2, 3, 4, 5]
    assert any("global_step" in w for w in run.meta.warnings)


def test_duplicate_step_keeps_the_later_point():
    run = make([("d", 0, 1.0), ("d", 1, 2.0), ("d", 1, 3.0), ("d", 2, 4.0)])
    assert run.series("d").tolist() == [1.0, 3.0, 4.0]
    assert run.scalars["superseded"].sum() == 1


def test_series_summary_counts_superseded_rows():
    run = make([("d", s, 0.0) for s in range(10)] + [("d", s, 1.0) for s in range(5, 8)])
    assert run.series_summary() == {"d": {"points": 13, "first_step": 0, "last_step": 9}}


def test_series_summary_is_a_fresh_copy_and_follows_a_replaced_frame():
    run = make([("d", s, 0.0) for s in range(10)] + [("g", s, 1.0) for s in range(3)])
    got = run.series_summary()
    got["d"]["points"] = -1
    del got["g"]
    assert run.series_summary() == {"d": {"points": 10, "first_step": 0, "last_step": 9},
                                    "g": {"points": 3, "first_step": 0, "last_step": 2}}
    assert run.with_meta(run_id="other").series_summary() == run.series_summary()
    run.scalars = make([("x", 5, 1.0), ("x", 7, 2.0)]).scalars
    assert run.series_summary() == {"x": {"points": 2, "first_step": 5, "last_step": 7}}
    assert run.tags == ["x"]


def test_bad_frames_are_usage_errors():
    with pytest.raises(UsageError, match="lacks column"):
        Run.from_frame(pd.DataFrame({"tag": ["a"]}), run_id="r", path="p", format="x")
    with pytest.raises(UsageError, match="step"):
        make([("d", None, 1.0)])


def test_unknown_tag_names_the_tags():
    with pytest.raises(KeyError, match="has no tag"):
        make([("d", 0, 1.0)]).series("nope")


def test_empty_run():
    run = Run.from_frame(pd.DataFrame({"tag": [], "step": [], "value": []}),
                         run_id="r", path="p", format="x")
    assert len(run) == 0 and run.tags == [] and run.series_summary() == {}


def test_composite_series_sums_its_parts_at_common_steps():
    import pandas as pd
    from ganlogs.run import Run

    frame = pd.DataFrame({"tag": ["D_real_0"] * 3 + ["D_real_1"] * 2,
                          "step": [0, 10, 20, 10, 20], "value": [1.0, 2.0, 3.0, 0.5, 0.25]})
    run = Run.from_frame(frame, run_id="r", path="r.txt", format="text_cyclegan",
                         step_unit="iteration").with_sums({"D": ("D_real_0", "D_real_1")})
    assert run.series("D").to_dict() == {10: 2.5, 20: 3.25}
    assert run.tags == ["D_real_0", "D_real_1"] and len(run.scalars) == 5
    assert run.meta.step_unit == "iteration"


def test_restart_context_makes_one_warning():
    import pandas as pd
    from ganlogs.run import Run

    frame = pd.DataFrame({"tag": ["a"] * 4 + ["b"] * 4, "step": [1, 2, 1, 2] * 2,
                          "value": range(8)})
    run = Run.from_frame(frame, run_id="r", path="r.txt", format="x",
                         restart_context="relaunched twice")
    assert len(run.meta.warnings) == 1
    assert run.meta.warnings[0].startswith("relaunched twice; steps go back in 'a', 'b'")
