"""ganlogs: read GAN training logs and say, with evidence, what each run is doing.

Public API::

    run = ganlogs.read("logs/exp3")          # one run -> Run (tidy DataFrame in run.scalars)
    found = ganlogs.discover("logs/")         # every run under a path
    result = ganlogs.analyze("logs/")         # read + roles + detectors for every run
    verdict = ganlogs.check("logs/", fail_on=["diverged"])  # CheckResult: pass / fail / error
    monitor = ganlogs.Monitor()               # in a training loop: monitor.log(step, d_loss=...)

``import ganlogs`` never imports torch.
"""

from ._version import __version__
from .analysis import Analysis, RunResult, Settings, analyze, analyze_run
from .checks import CheckResult, check
from .findings import Finding
from .live import LivePolicy, Monitor
from .errors import (CorruptLogError, GanlogsError, ReadError, RoleError, TruncatedLogWarning,
                     UnsupportedFormatError, UsageError)
from .readers import discover, load, read
from .roles import RoleMap, infer_roles
from .run import Run, RunMeta

__all__ = [
    "__version__", "read", "discover", "load", "analyze", "analyze_run", "Analysis",
    "check", "CheckResult", "Monitor", "LivePolicy",
    "RunResult", "Settings", "Run", "RunMeta", "Finding", "RoleMap", "infer_roles",
    "GanlogsError", "ReadError", "UnsupportedFormatError", "CorruptLogError", "RoleError",
    "UsageError", "TruncatedLogWarning",
]
