"""Training callbacks: thin adapters over :class:`~ganlogs.live.Monitor`.

* :func:`lightning_callback` -> a ``lightning.pytorch.Callback`` (``pytorch_lightning`` too):
  after each training batch it logs what the LightningModule logged (``trainer.callback_metrics``)
  under the role names you map, and sets ``trainer.should_stop`` on a failing finding.
* :func:`keras_callback` -> a ``keras.callbacks.Callback``: after each batch it logs the
  batch ``logs`` and sets ``model.stop_training`` on a failing finding.

Lightning and Keras are imported only when a callback is made (``import ganlogs`` imports
neither). Each callback prints one line when a label appears, changes or clears, and its
``monitor`` attribute holds the :class:`~ganlogs.live.Monitor` (findings, events, status).

``roles`` maps a role id (``d_loss``, ``g_loss``, ``d_x``...) to the metric name the training
code logs; names not mapped are passed through, so metrics already called ``d_loss`` and
``g_loss`` need no mapping. Names that are not roles are kept as extra series.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..errors import UsageError
from ..roles import ROLES
from .monitor import DEFAULT_FAIL_ON, Monitor
from .watch import format_event

__all__ = ["lightning_callback", "keras_callback", "MonitorAdapter"]


def _import(names: Sequence[str], hint: str) -> Any:
    import importlib

    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(f"{hint} is not installed: pip install {hint.split()[0].lower()}")


class MonitorAdapter:
    """What both callbacks share: role mapping, logging to the monitor, printing events.

    ``roles`` maps role id -> the framework's metric name; ``printer`` receives one line per
    event (default: :func:`print`; ``None`` prints nothing).
    """

    def __init__(self, monitor: Monitor, roles: Mapping[str, str] | None,
                 printer: Callable[[str], None] | None) -> None:
        bad = [r for r in (roles or {}) if r not in ROLES]
        if bad:
            raise UsageError(f"roles: unknown role(s) {bad}; roles are: {', '.join(ROLES)}")
        self.monitor = monitor
        self.by_metric = {metric: role for role, metric in (roles or {}).items()}
        self.printer = printer
        self._said = 0

    def log(self, step: int, metrics: Mapping[str, Any]) -> bool:
        """Log one step's metrics; print new events; return whether training should stop."""
        values = {}
        for name, value in metrics.items():
            try:
                v = float(value)  # a 0-d tensor: .item() through __float__
            except (TypeError, ValueError):
                continue
            values[self.by_metric.get(name, name)] = v
        if values:
            self.monitor.log_dict(int(step), values)
        events = self.monitor.events
        if self.printer is not None:
            for event in events[self._said:]:
                self.printer("ganlogs: " + format_event(event))
        self._said = len(events)
        return self.monitor.should_stop


def lightning_callback(*, roles: Mapping[str, str] | None = None,
                       fail_on: Sequence[str] = DEFAULT_FAIL_ON, stop: bool = True,
                       min_confidence: float | None = None, loss_family: str | None = None,
                       printer: Callable[[str], None] | None = print, **monitor_kw: Any) -> Any:
    """A PyTorch Lightning callback that judges the run while it trains.

    Parameters
    ----------
    roles
        Role id -> the name the LightningModule passes to ``self.log`` (e.g.
        ``{"d_loss": "loss_D", "g_loss": "loss_G"}``).
    fail_on, min_confidence
        Labels that stop training once raised (``stop=False``: only report them).
    loss_family
        State the loss family instead of inferring it.
    printer
        Receives one line per event (``None``: silent).

    The step is ``trainer.global_step``. Values come from ``trainer.callback_metrics`` after
    every training batch (log with ``on_step=True``).
    """
    pl = _import(("lightning.pytorch", "pytorch_lightning"), "lightning (PyTorch Lightning)")
    monitor = Monitor(fail_on=fail_on, min_confidence=min_confidence, loss_family=loss_family,
                      **monitor_kw)
    adapter = MonitorAdapter(monitor, roles, printer)

    class GanlogsCallback(pl.Callback):
        """Logs ``trainer.callback_metrics`` to a ganlogs Monitor; stops on a failing finding."""

        def __init__(self) -> None:
            super().__init__()
            self.monitor = monitor
            self.adapter = adapter

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if adapter.log(trainer.global_step, trainer.callback_metrics) and stop:
                trainer.should_stop = True

    return GanlogsCallback()


def keras_callback(*, roles: Mapping[str, str] | None = None,
                   fail_on: Sequence[str] = DEFAULT_FAIL_ON, stop: bool = True,
                   min_confidence: float | None = None, loss_family: str | None = None,
                   printer: Callable[[str], None] | None = print, **monitor_kw: Any) -> Any:
    """A Keras callback that judges the run while it trains.

    Parameters as for :func:`lightning_callback`; ``roles`` maps role id -> a key of the
    batch ``logs`` (what ``train_step`` returns). The step counts batches from 0 across
    epochs. A failing finding sets ``model.stop_training``.
    """
    keras = _import(("keras",), "keras")
    monitor = Monitor(fail_on=fail_on, min_confidence=min_confidence, loss_family=loss_family,
                      **monitor_kw)
    adapter = MonitorAdapter(monitor, roles, printer)

    class GanlogsCallback(keras.callbacks.Callback):
        """Logs each batch's ``logs`` to a ganlogs Monitor; stops on a failing finding."""

        def __init__(self) -> None:
            super().__init__()
            self.monitor = monitor
            self.adapter = adapter
            self.step = 0

        def on_train_batch_end(self, batch, logs=None) -> None:
            if adapter.log(self.step, logs or {}) and stop:
                self.model.stop_training = True
            self.step += 1

    return GanlogsCallback()
