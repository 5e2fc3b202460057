

def test_a_short_run_that_diverged_is_labelled_not_too_short():
    """Every detector but divergence says the run is too short; the run is still judged."""
    from ganlogs.analysis import Analysis, RunResult, Settings
    from ganlogs.checks import apply_policy
    from ganlogs.detectors import Finding

    def finding(label, conf):
        return Finding(label=label, confidence=conf, onset_step=3, evidence={}, summary=label,
                       detector=label, detector_version="1")

    r = RunResult(run_id="r", path="r", format="csv_wide", status="ok",
                  findings=[finding("diverged", 1.0), finding("insufficient_data", 1.0)],
                  labels=["diverged"])
    assert not r.too_short
    result = apply_policy(Analysis(root=".", runs=[r], settings=Settings()),
                          fail_on=["mode_collapse"], min_confidence=0.5)
    assert result.status == "pass" and result.too_short == []
