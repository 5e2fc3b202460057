"""Live judging: follow logs while they are written, or judge from inside the training loop.

* :class:`Monitor` -- ``monitor.log(step, d_loss=..., g_loss=...)`` in a training loop;
  :mod:`ganlogs.live.callbacks` adapts it to PyTorch Lightning and Keras (imported lazily).
* :class:`Watcher` -- what ``ganlogs watch PATH`` runs: follows every run under a path,
  reading only what was appended (:mod:`ganlogs.live.tail`).
* :class:`LiveJudge` and :class:`LivePolicy` -- when a growing run is re-judged, and the
  hysteresis that keeps a live verdict from flipping (:mod:`ganlogs.live.judge`).

Nothing here imports torch, Lightning or Keras; see ``docs/live.md``.
"""

from .judge import EVENT_KINDS, LiveEvent, LiveJudge, LivePolicy, LiveVerdict
from .monitor import Monitor
from .watch import Watcher, WatchProblem, format_event, format_verdict

__all__ = ["Monitor", "Watcher", "WatchProblem", "LiveJudge", "LivePolicy", "LiveEvent",
           "LiveVerdict", "EVENT_KINDS", "format_event", "format_verdict"]
