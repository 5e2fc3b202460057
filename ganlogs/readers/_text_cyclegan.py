"""CycleGAN/pix2pix ``loss_log.txt``: sections, steps and relaunches from parsed columns.

The vectorised text path (:mod:`._text_fast`) parses a ``loss_log.txt`` into columns (the line
index, ``epoch`` and ``iters`` of every record line) plus the few lines it leaves to the
per-line parser (the ``=== <title> (<date>) ===`` section headers among them). This module
applies the per-line reader's CycleGAN rules (:mod:`.text`: ``_cyclegan_steps`` and
``_cyclegan_restarts``, which stay the reference) to those columns in numpy, with no Python
step per line:

* the section of each record: the title of the last header before it (a ``Validation Loss``
  section makes its lines ``val/<name>`` tags);
* the print interval (the most common positive ``iters`` gap within an epoch between
  consecutive training lines; the smallest on a tie), the samples per epoch (the most common
  ``last iters + interval - first iters of the next epoch`` over the epoch boundaries; the
  largest on a tie; never less than the largest ``iters``), the first epoch
  (``min(first epoch, 1)``) and the step ``((epoch - first epoch) * samples per epoch +
  iters) // batch_size``;
* the relaunches: a ``Training Loss`` header after which the next training step is at or
  before the largest step so far.

Units: ``epoch`` as printed (from 1 by the code base's default), ``iters`` in samples within
the epoch, steps in training iterations. The tests compare the result with the per-line
path's on every CycleGAN fixture, generated logs and the real logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StepMapping", "sections", "step_mapping", "steps", "relaunches"]


@dataclass(frozen=True)
class StepMapping:
    """How ``(epoch, iters)`` becomes a step: ``samples_per_epoch`` and ``first_epoch``
    (module docstring), and the notes saying how they were found (the per-line path's)."""

    samples_per_epoch: int
    first_epoch: int
    notes: tuple[str, ...]


def sections(lines: np.ndarray, header_lines: np.ndarray, header_validation: np.ndarray
             ) -> np.ndarray:
    """Per record (its line index in ``lines``, any order): whether it sits in a validation
    section, i.e. the last header before its line (``header_lines``, increasing) opened one
    (``header_validation``); False before the first header."""
    if not len(header_lines):
        return np.zeros(len(lines), dtype=bool)
    last = np.searchsorted(header_lines, lines, side="right") - 1
    return (last >= 0) & header_validation[np.maximum(last, 0)]


def _most_common(values: np.ndarray, *, largest_on_tie: bool) -> tuple[int, int]:
    """The most common value and its count (ties: the smallest value, or the largest)."""
    uniq, counts = np.unique(values, return_counts=True)
    if largest_on_tie:
        i = len(counts) - 1 - int(np.argmax(counts[::-1]))
    else:
        i = int(np.argmax(counts))
    return int(uniq[i]), int(counts[i])


def samples_per_epoch(best: tuple[int, int] | None, n_boundaries: int, largest: int,
                      interval: int | None, batch_size: int) -> tuple[int, list[str]]:
    """Samples per epoch of a CycleGAN/pix2pix log and the notes saying how it was found.

    ``best``: the most common estimate at the epoch boundaries and how many of the
    ``n_boundaries`` agree with it, or None when no boundary gave one; ``largest``: the largest
    ``iters``; ``interval``: the print interval in samples (None: unknown). Shared by the
    per-line path (:mod:`.text`) and the vectorised one, so both say the same.
    """
    if best is not None:
        per_epoch, agree = best
        per_epoch = max(per_epoch, largest)  # never let an epoch overlap the next one
        notes = [f"samples per epoch: {per_epoch}, read from the epoch boundaries (print "
                 f"interval {interval} samples; {agree} of {n_boundaries} boundaries agree)"]
    else:
        per_epoch = largest + (interval or 1)
        notes = [f"samples per epoch not readable from the log (no epoch boundary with a "
                 f"known print interval): taken as {per_epoch}, the largest 'iters' plus one "
                 "print interval"]
    if batch_size != 1:
        notes.append(f"batch_size {batch_size} (from the options file): step = samples / "
                     f"{batch_size}")
    return per_epoch, notes


def step_mapping(epoch: np.ndarray, iters: np.ndarray, validation: np.ndarray,
                 batch_size: int) -> StepMapping:
    """The step mapping of a log whose records, in file order, have these ``epoch``,
    ``iters`` (int64) and ``validation`` flags (the per-line ``_cyclegan_steps`` rules)."""
    train = ~validation
    e, i = epoch[train], iters[train]
    e0, e1, i0, i1 = e[:-1], e[1:], i[:-1], i[1:]
    within = (e0 == e1) & (i1 > i0)
    interval = _most_common((i1 - i0)[within], largest_on_tie=False)[0] if within.any() \
        else None
    estimates = np.zeros(0, dtype=np.int64)
    if interval is not None:
        n = i0 + interval - i1
        estimates = n[(e1 == e0 + 1) & (n > 0)]
    largest = int(iters.max()) if len(iters) else 0
    best = _most_common(estimates, largest_on_tie=True) if len(estimates) else None
    per_epoch, notes = samples_per_epoch(best, len(estimates), largest, interval, batch_size)
    first_epoch = min(int(epoch.min()) if len(epoch) else 1, 1)
    return StepMapping(per_epoch, first_epoch, tuple(notes))


def steps(epoch: np.ndarray, iters: np.ndarray, mapping: StepMapping, batch_size: int
          ) -> np.ndarray:
    """Each record's step (int64): ``((epoch - first epoch) * samples per epoch + iters) //
    batch_size``. The caller keeps ``epoch`` and ``iters`` below 10**9 and the samples per
    epoch below 2**31, so that nothing overflows."""
    return ((epoch - mapping.first_epoch) * mapping.samples_per_epoch + iters) // batch_size


def relaunches(training_headers: np.ndarray, step: np.ndarray, epoch: np.ndarray,
               validation: np.ndarray) -> str | None:
    """The per-line ``_cyclegan_restarts`` sentence, or None: ``training_headers`` holds, per
    ``Training Loss`` header, how many records precede it; ``step``, ``epoch`` and
    ``validation`` are the records' in file order."""
    train = np.flatnonzero(~validation)
    if not len(train) or not len(training_headers):
        return None
    s = step[train]
    # the training record each header is pending for: the first one at or after it
    first_after = np.unique(np.searchsorted(train, training_headers, side="left"))
    first_after = first_after[(first_after > 0) & (first_after < len(train))]
    before_max = np.maximum.accumulate(s)
    again = first_after[s[first_after] <= before_max[first_after - 1]]
    if not len(again):
        return None
    epochs = [int(x) for x in epoch[train[again]]]
    from_scratch = sum(1 for x in epochs if x <= 1)
    listed = ", ".join(str(x) for x in epochs[:6]) + (" ..." if len(epochs) > 6 else "")
    return (f"training was relaunched {len(epochs)} time(s) in this file (a new 'Training "
            f"Loss' header, then epoch {listed} again"
            + (f"; {from_scratch} from epoch 1, kept apart as separate attempts"
               if from_scratch else "") + ")")
