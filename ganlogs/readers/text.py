"""Plain-text GAN training logs (what training scripts print) -> :class:`~ganlogs.run.Run`.

Three formats, exactly as the scripts print them (``docs/formats.md``, "Text logs"):

``text_cyclegan``: junyanz/pytorch-CycleGAN-and-pix2pix (and pix2pixHD) ``loss_log.txt``
    A header ``================ Training Loss (<date>) ================`` per launch, then
    ``(epoch: E, iters: I, time: T, data: D) NAME: v NAME: v ...`` (with a trailing space).
    ``iters`` is the within-epoch sample counter (``epoch_iter``, which drifts because the
    script prints when the *total* count is a multiple of ``print_freq``), so **step = the
    global training iteration ((E - first epoch) * N + I) / batch_size**, where N, the
    samples per epoch, is read from the log itself: the last ``iters`` of an epoch plus the
    print interval minus the first ``iters`` of the next epoch (the most common value over
    all epoch boundaries). ``batch_size`` comes from ``train_opt.txt`` beside the log (1, the
    code base's default, when absent). Tags are the printed loss names (``D_A``, ``G_A``,
    ``cycle_A``...); ``epoch``, ``iters``, ``time`` and ``data`` are bookkeeping, not series.
    Restarts: a header after which the step goes back (``--continue_train``, or a run started
    again from epoch 1) is a relaunch; :meth:`Run.from_frame` supersedes the earlier points
    by the TensorBoard policy and the run gets one warning for the whole file. Modified
    visualizers print ``Validation Loss`` sections (same line format) between ``Training
    Loss`` sections: their lines become ``val/<name>`` tags, never mixed into the training
    series; other sections (``Model Saved``, ``Test Result`` with ``ssim: nan``) are not
    losses and are skipped.
``text_pytorch_gan``: eriklindernoren/PyTorch-GAN
    ``[Epoch e/E] [Batch b/B] [D loss: x] [G loss: y]``, with extras inside a bracket
    (``[G loss: y, adv: a, cycle: c, identity: i]``, ``[D loss: x, acc: 50%]``) or after
    `` -- `` (``-- M: m, k: k``); anything that is not ``name: number`` (``ETA: 0:00:12``) is
    ignored. **step = e * B + b** (the scripts' ``batches_done``). Tags: ``D loss``,
    ``G loss`` and each extra's name. ``cyclegan.py`` writes ``"\\r[Epoch ...]"`` with no
    newline, so a redirected log is one long ``\\r``-separated line: records are split on
    ``\\r`` as well as on newlines.
``text_dcgan``: pytorch/examples ``dcgan/main.py`` and the PyTorch DCGAN tutorial
    ``[e/E][b/B] Loss_D: x Loss_G: y D(x): a D(G(z)): b / c`` (space or tab separated).
    **step = e * B + b**. ``D(G(z)): b / c`` gives ``D(G(z))_1`` (before the generator step)
    and ``D(G(z))_2`` (after it); ``ganlogs.roles`` maps ``D(G(z))_1`` to ``d_gz``.
``text_keras_gan``: eriklindernoren/Keras-GAN stdout
    ``i [D loss: x, acc.: a%] [G loss: y]`` (after Keras' model summaries). **step = i**, the
    script's loop counter (named ``epoch`` there, but one batch each: an iteration). Tags:
    ``D loss``, ``acc.``, ``G loss`` and any other ``name: number`` in the brackets.
``text_dcgan_tf``: carpedm20/DCGAN-tensorflow stdout (``nohup.out``)
    ``Epoch: [ e/E] [ i/B] time: t, d_loss: x, g_loss: y`` among TensorFlow's warnings.
    **step = e * B + i**; ``time`` is bookkeeping. Tags: ``d_loss``, ``g_loss``.

Hyperparameters: the ``Namespace(...)`` line the PyTorch-GAN and DCGAN scripts print (argparse's
repr; literals only, nothing is evaluated), or pytorch-CycleGAN's ``train_opt.txt``/``opt.txt``
beside ``loss_log.txt``, fill ``meta.hparams``.

A logger's prefix before a PyTorch-GAN, DCGAN or DCGAN-tensorflow record (``2024-01-01 12:00:00 INFO ``,
``[rank0]: ``: anything ending in a space, ``:`` or ``|``) is allowed and ignored.

A file is claimed when its name ends in ``.txt``, ``.log`` or ``.out`` (``nohup.out``) or has
no suffix, and its first 64 KB hold a line of one of these formats; other text files
(``requirements.txt``) are left alone. The format with the most matching lines in the first 64 KB wins (the whole file is
searched only when nothing matches there); lines of other shapes (arguments, seeds, progress
bars) are skipped and counted in the notes.

Truncation: a last line without its final newline is incomplete: dropped with a
:class:`~ganlogs.errors.TruncatedLogWarning`. In a ``\\r``-separated stream every record
*starts* with ``\\r``, so the final segment is kept when it is a whole record (the same
names as the record before it, every bracket closed, and no value at its very end that could
have been cut: PyTorch-GAN's ``ETA: <timedelta>`` after the last bracket is not a value) and
dropped with the warning otherwise. Values have no wall time (NaN).
"""

from __future__ import annotations

import ast
import math
import re
import warnings as _warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np
import pandas as pd

from ..errors import CorruptLogError, ReadError, TruncatedLogWarning
from ..run import Run
from ._text_cyclegan import samples_per_epoch
from ._text_fast import read_fast
from ._textio import read_bytes
from .base import Reader, read_head

__all__ = ["TextLogReader", "read_fast", "TEXT_FORMATS", "ShapeParser"]

_HEAD_BYTES = 65536
#: name endings a text log may have (".out": nohup.out and Slurm's slurm-<id>.out)
_SUFFIXES = ("", ".txt", ".log", ".out")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_NUM_RE = re.compile(_NUM, re.IGNORECASE)

# "=== Training Loss (<date>) ===" per launch; modified visualizers add other sections
# ("Validation Loss", "Model Saved", "Test Result") in the same shape.
_CYCLEGAN_HEADER = re.compile(r"=+ (?P<title>[^()=]*?) \((?P<date>.*)\) =+\s*")
_TRAINING_TITLE = "Training Loss"
_VALIDATION_TITLES = ("Validation Loss", "Val Loss", "Valid Loss")
#: prefix of the tags of lines in a validation section
VALIDATION_PREFIX = "val/"
_CYCLEGAN = re.compile(
    rf"\(epoch: (?P<epoch>\d+), iters: (?P<iters>\d+), time: {_NUM}(?:, data: {_NUM})?\)"
    rf"(?P<rest>(?:\s+[^\s:]+: {_NUM})+)\s*", re.IGNORECASE)
_PAIR = re.compile(rf"([^\s:]+): ({_NUM})", re.IGNORECASE)

# A logger's prefix ("2024-01-01 12:00:00 INFO ", "[rank0]: ") may precede the record.
_PREFIX = r"(?:.*?[\s:|])?"
_PTGAN = re.compile(_PREFIX + r"\[Epoch (?P<e>\d+)/(?P<E>\d+)\] \[Batch (?P<b>\d+)/(?P<B>\d+)\]"
                    r"(?P<groups>(?:\s*\[[^\[\]]*\])+)(?P<rest>.*)")
_GROUP = re.compile(r"\[([^\[\]]*)\]")
_ITEM = re.compile(rf"\s*(?P<name>[^:,]+?):\s*(?P<v>{_NUM})%?\s*", re.IGNORECASE)

_DCGAN = re.compile(_PREFIX + r"\[(?P<e>\d+)/(?P<E>\d+)\]\[(?P<b>\d+)/(?P<B>\d+)\]"
                    rf"(?P<rest>(?:\s+[^\s:]+:\s*{_NUM}(?:\s*/\s*{_NUM})?)+)\s*", re.IGNORECASE)
_DCGAN_PAIR = re.compile(rf"([^\s:]+):\s*({_NUM})(?:\s*/\s*({_NUM}))?", re.IGNORECASE)

# eriklindernoren/Keras-GAN: "%d [D loss: %f, acc.: %.2f%%] [G loss: %f]" (no prefix)
_KERAS = re.compile(r"\s*(?P<i>\d+)(?P<groups>(?:\s*\[[^\[\]]*\])+)\s*")
# carpedm20/DCGAN-tensorflow: "Epoch: [%2d/%2d] [%4d/%4d] time: %4.4f, d_loss: %.8f, g_loss: %.8f"
_DCGAN_TF = re.compile(_PREFIX + r"Epoch:\s*\[\s*(?P<e>\d+)/\s*(?P<E>\d+)\]\s*"
                       r"\[\s*(?P<b>\d+)/\s*(?P<B>\d+)\]\s*(?P<rest>.*?)\s*")
_DCGAN_TF_BOOKKEEPING = frozenset({"time"})

_SEPARATORS = re.compile(r"\r\n|\r|\n")


@dataclass
class _Record:
    """One parsed line: its step (None for CycleGAN until the samples per epoch are known:
    ``batch`` then holds ``iters``) and its points."""

    step: int | None
    points: list[tuple[str, float]]
    epoch: int | None = None
    batch: int | None = None
    n_batches: int | None = None


def _parse_cyclegan(line: str) -> _Record | None:
    m = _CYCLEGAN.fullmatch(line)
    if not m:
        return None
    pts = [(k, float(v)) for k, v in _PAIR.findall(m.group("rest"))]
    return _Record(None, pts, int(m.group("epoch")), int(m.group("iters")))


def _bracket_items(groups: str) -> list[tuple[str, float]]:
    """``name: number`` items of ``[...] [...]`` groups (comma separated inside a group)."""
    pts: list[tuple[str, float]] = []
    for group in _GROUP.findall(groups):
        for item in group.split(","):
            im = _ITEM.fullmatch(item)
            if im:
                pts.append((im.group("name").strip(), float(im.group("v"))))
    return pts


def _parse_keras(line: str) -> _Record | None:
    m = _KERAS.fullmatch(line)
    if not m:
        return None
    pts = _bracket_items(m.group("groups"))
    if not pts:
        return None
    return _Record(int(m.group("i")), _dedupe(pts), int(m.group("i")))


def _parse_dcgan_tf(line: str) -> _Record | None:
    m = _DCGAN_TF.fullmatch(line)
    if not m:
        return None
    pts: list[tuple[str, float]] = []
    for item in m.group("rest").split(","):
        im = _ITEM.fullmatch(item)
        if not im:
            return None
        name = im.group("name").strip()
        if name not in _DCGAN_TF_BOOKKEEPING:
            pts.append((name, float(im.group("v"))))
    if not pts:
        return None
    e, b, n_batches = int(m.group("e")), int(m.group("b")), int(m.group("B"))
    return _Record(e * n_batches + b, _dedupe(pts), e, b, n_batches)


def _parse_ptgan(line: str) -> _Record | None:
    m = _PTGAN.fullmatch(line)
    if not m:
        return None
    pts = _bracket_items(m.group("groups"))
    rest = m.group("rest")
    if rest.lstrip().startswith("--"):
        for item in rest.lstrip()[2:].split(","):
            im = _ITEM.fullmatch(item)
            if not im:
                break
            pts.append((im.group("name").strip(), float(im.group("v"))))
    if not pts:
        return None
    pts = _dedupe(pts)
    e, b, n_batches = int(m.group("e")), int(m.group("b")), int(m.group("B"))
    return _Record(e * n_batches + b, pts, e, b, n_batches)


def _parse_dcgan(line: str) -> _Record | None:
    m = _DCGAN.fullmatch(line)
    if not m:
        return None
    pts: list[tuple[str, float]] = []
    for name, v1, v2 in _DCGAN_PAIR.findall(m.group("rest")):
        if v2:
            pts += [(f"{name}_1", float(v1)), (f"{name}_2", float(v2))]
        else:
            pts.append((name, float(v1)))
    e, b, n_batches = int(m.group("e")), int(m.group("b")), int(m.group("B"))
    return _Record(e * n_batches + b, _dedupe(pts), e, b, n_batches)


def _dedupe(pts: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """A name printed twice in one line (``acc`` in the D and the G bracket) gets ``_2``..."""
    seen: dict[str, int] = {}
    out = []
    for name, v in pts:
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append((name, v))
    return out


# A number standing alone (not part of a name such as ``G2`` or ``info``): what differs from
# one record line to the next. Two lines that differ only in these tokens have the same shape.
_TOKEN = re.compile(rf"(?<![\w.])({_NUM})(?![\w.])", re.IGNORECASE)
_SENTINEL = 9_000_001


@dataclass(frozen=True)
class _Template:
    """Where a shape's values sit: token index of each point's value, of the epoch, batch and
    batch count (None when the format has none)."""

    names: tuple[str, ...]
    values: tuple[int, ...]
    epoch: int | None
    batch: int | None
    n_batches: int | None


class _ShapeParser:
    """A format's parser with a cache keyed by line shape.

    A log prints the same format string on every line, so lines share a few shapes (the text
    with its number tokens taken out). The first line of a shape is parsed by the format's
    regular expressions, then once more with every number replaced by a distinct sentinel,
    which tells which token holds which value; later lines of that shape only split out their
    tokens. A shape whose template does not reproduce the full parse exactly is never cached,
    and any line whose tokens do not fit (a non-integer epoch) falls back to the full parse, so
    the result is always the full parser's.
    """

    def __init__(self, fmt: "_Format") -> None:
        self.fmt = fmt
        self.cache: dict[str, _Template | None] = {}

    def __call__(self, seg: str) -> _Record | None:
        parts = _TOKEN.split(seg)
        key = "\x00".join(parts[0::2])
        tokens = parts[1::2]
        if key not in self.cache:
            rec = self.fmt.parse(seg)
            self.cache[key] = _learn(self.fmt, parts, rec) if rec is not None else None
            return rec
        tpl = self.cache[key]
        if tpl is None:
            return self.fmt.parse(seg)
        try:
            pts = [(n, float(tokens[i])) for n, i in zip(tpl.names, tpl.values)]
            ints = [int(tokens[i]) if i is not None else None
                    for i in (tpl.epoch, tpl.batch, tpl.n_batches)]
        except ValueError:
            return self.fmt.parse(seg)
        if any(i is not None and not tokens[i].isdigit()
               for i in (tpl.epoch, tpl.batch, tpl.n_batches)):
            return self.fmt.parse(seg)
        e, b, nb = ints
        return _Record(self.fmt.step(e, b, nb), pts, e, b, nb)


def _learn(fmt: "_Format", parts: list[str], rec: _Record) -> _Template | None:
    """The template of a shape from one parsed line (None when it cannot be trusted)."""
    tokens = parts[1::2]
    probe = list(parts)
    probe[1::2] = [str(_SENTINEL + i) for i in range(len(tokens))]
    srec = fmt.parse("".join(probe))
    if srec is None or [n for n, _ in srec.points] != [n for n, _ in rec.points]:
        return None

    def index(v: float | int | None) -> int | None:
        if v is None:
            return None
        i = int(v) - _SENTINEL
        return i if v == int(v) and 0 <= i < len(tokens) else -1

    values = tuple(index(v) for _, v in srec.points)
    fields = (index(srec.epoch), index(srec.batch), index(srec.n_batches))
    if -1 in values or -1 in fields:
        return None
    tpl = _Template(tuple(n for n, _ in rec.points), values, *fields)  # type: ignore[arg-type]
    # the template must reproduce the full parse of the line it was learnt from
    got = [float(tokens[i]) for i in values]
    want = [v for _, v in rec.points]
    if not all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(got, want)):
        return None
    if (rec.epoch, rec.batch, rec.n_batches) != tuple(
            int(tokens[i]) if i is not None else None for i in fields):
        return None
    return tpl


def _epoch_times_batches(e: int | None, b: int | None, nb: int | None) -> int | None:
    return None if e is None or b is None or nb is None else e * nb + b


def _counter(e: int | None, b: int | None, nb: int | None) -> int | None:
    return e


def _later(e: int | None, b: int | None, nb: int | None) -> None:
    return None  # CycleGAN: computed once the whole log is read (samples per epoch)


@dataclass(frozen=True)
class _Format:
    id: str
    parse: Callable[[str], _Record | None]
    step_note: str
    #: the step from the (epoch, batch, n_batches) a line holds (the shape cache uses it)
    step: Callable[[int | None, int | None, int | None], int | None] = _epoch_times_batches


_FORMATS = (
    _Format("text_cyclegan", _parse_cyclegan,
            "step: the global training iteration, ((epoch - first epoch) * samples per epoch + "
            "iters) / batch_size ('iters' is the within-epoch sample counter); "
            "epoch/iters/time/data not kept", _later),
    _Format("text_pytorch_gan", _parse_ptgan,
            "step: epoch * n_batches + batch, from '[Epoch e/E] [Batch b/B]' (PyTorch-GAN's "
            "batches_done)"),
    _Format("text_dcgan", _parse_dcgan,
            "step: epoch * n_batches + i, from '[e/E][i/B]'; 'D(G(z)): a / b' gives "
            "D(G(z))_1 (before the G step) and D(G(z))_2 (after it)"),
    _Format("text_keras_gan", _parse_keras,
            "step: the loop counter Keras-GAN prints first on each line (called 'epoch' in "
            "its scripts, one batch each: a training iteration)", _counter),
    _Format("text_dcgan_tf", _parse_dcgan_tf,
            "step: epoch * n_batches + i, from 'Epoch: [e/E] [i/B]' (DCGAN-tensorflow's "
            "batch index within the epoch); 'time' not kept"),
)


class TextLogReader(Reader):
    """Read CycleGAN ``loss_log.txt``, PyTorch-GAN and DCGAN stdout logs (module docstring)."""

    formats: ClassVar[tuple[str, ...]] = tuple(f.id for f in _FORMATS)
    kind: ClassVar[str] = "file"
    side_files: ClassVar[tuple[str, ...]] = ("train_opt.txt", "opt.txt")  # CycleGAN options

    def __init__(self, *, fast: bool = True) -> None:
        """``fast``: large regular logs go through the vectorised path (:func:`read_fast`)
        when it applies (the default); False: every log is read line by line (the
        reference). Both give the same runs."""
        self.fast = fast

    def __repr__(self) -> str:
        return f"TextLogReader(fast={self.fast})"

    def guess_can_open(self, path: Path) -> bool:
        """``.txt``/``.log``/``.out``/no suffix, and a line of a known format in the first
        64 KB."""
        try:
            path = Path(path)
            if path.suffix.lower() not in _SUFFIXES or not path.is_file():
                return False
            head = read_head(path, _HEAD_BYTES)
            if not head or b"\x00" in head:
                return False
            text = head.decode("utf-8", errors="replace")
            return any(f.parse(seg) is not None
                       for seg in _SEPARATORS.split(text) if seg.strip() for f in _FORMATS)
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read ``path`` into one Run; ReadError when no line of a known format is found."""
        path = Path(path)
        return self.read_data(read_bytes(path), path, run_id=run_id)

    def read_data(self, data: bytes, path: Path, *, run_id: str) -> list[Run]:
        """:meth:`read` on bytes already read from ``path`` (``path`` names the file in
        messages and locates files beside it), for followers such as ``ganlogs watch``."""
        nul = data.find(b"\x00")
        if nul >= 0:
            raise CorruptLogError(path, f"binary data (NUL byte at offset {nul}): not a text log")
        # a large, regular log: vectorised (_text_fast)
        fast = read_fast(data, path, run_id) if self.fast else None
        if fast is not None:
            return [fast]
        notes: list[str] = []
        warnings: list[str] = []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            notes.append("bytes that are not UTF-8 were replaced by U+FFFD (a log is read "
                         "leniently: they can only be in skipped lines or in names)")
        segments, seps = _split(text)
        # The tail after the last separator: complete only in a \r stream (see docstring).
        tail = segments.pop() if segments else ""
        tail_sep = seps[-1] if seps else ""
        fmt = _choose_format(segments + ([tail] if tail else []))
        if fmt is None:
            raise ReadError(path, "no line of a known text log format (CycleGAN loss_log.txt, "
                                  "PyTorch-GAN, pytorch/examples DCGAN) was found")
        records: list[_Record] = []
        sections: list[bool] = []  # per record: True when it sits in a validation section
        headers: list[int] = []  # record count at each CycleGAN "Training Loss" header
        in_validation = False
        other_sections: dict[str, int] = {}
        hparams: dict[str, object] = {}
        hp_source: str | None = None
        before = between = 0
        parse = _ShapeParser(fmt)
        out_of_range = 0
        for seg in segments:
            rec = parse(seg)
            if rec is not None and not _step_in_range(rec):
                out_of_range += 1
            elif rec is not None:
                records.append(rec)
                sections.append(in_validation)
            elif fmt.id == "text_cyclegan" and (hm := _CYCLEGAN_HEADER.fullmatch(seg)):
                title = hm.group("title").strip()
                in_validation = title in _VALIDATION_TITLES
                if title == _TRAINING_TITLE:
                    headers.append(len(records))
                elif not in_validation:
                    other_sections[title] = other_sections.get(title, 0) + 1
            elif seg.strip():
                if records:
                    between += 1
                else:
                    before += 1
                    if not hparams and seg.startswith("Namespace("):
                        hparams = _namespace(seg)
                        hp_source = "the argparse Namespace(...) line" if hparams else None
        if fmt.id == "text_cyclegan":
            opt = _cyclegan_options(path.parent)
            if opt:
                hp_source, hparams = f"{opt[0]} beside the log", dict(opt[1])
        if tail.strip():
            rec = fmt.parse(tail) if tail_sep == "\r" else None
            if rec is not None and _whole_record(tail, rec, records):
                if _step_in_range(rec):
                    records.append(rec)
                    sections.append(in_validation)
                else:
                    out_of_range += 1
            else:
                msg = (f"the last line has no final newline ({len(tail)} characters): the "
                       "file was cut while being written; that line was dropped, every "
                       "complete one was kept")
                _warnings.warn(TruncatedLogWarning(f"{path}: {msg}"), stacklevel=2)
                warnings.append(msg)
        notes.append(f"format: {fmt.id}; {len(records)} record line(s)")
        notes.append(fmt.step_note)
        if before:
            notes.append(f"{before} line(s) before the first record (arguments, seeds...) "
                         "skipped")
        if between:
            notes.append(f"{between} line(s) between records did not match the format and "
                         "were skipped")
        if any("\r" == s for s in seps):
            notes.append("records separated by carriage returns ('\\r', a progress-style "
                         "print) were split on them")
        if hp_source:
            notes.append(f"hparams from {hp_source}")
        if out_of_range:
            warnings.append(f"{out_of_range} record(s) whose step is beyond the int64 range "
                            "(a damaged line) were skipped")
        restart_context = None
        if fmt.id == "text_cyclegan":
            batch_size = _batch_size(hparams)
            notes += _cyclegan_steps(records, sections, batch_size)
            restart_context = _cyclegan_restarts(headers, records, sections)
            n_val = sum(sections)
            if n_val:
                notes.append(f"{n_val} line(s) in 'Validation Loss' sections read as "
                             f"'{VALIDATION_PREFIX}<name>' tags, apart from the training "
                             "series")
            if other_sections:
                notes.append("section(s) that hold no losses skipped: " + ", ".join(
                    f"'{t}' x{n}" for t, n in other_sections.items()))
        frame = _frame(records, sections)
        return [Run.from_frame(frame, run_id=run_id, path=path, format=fmt.id, hparams=hparams,
                               notes=notes, warnings=warnings, step_unit="iteration",
                               restart_context=restart_context)]


def _namespace(line: str) -> dict[str, object]:
    """``Namespace(lr=0.0002, dataset='cifar10', ...)`` (argparse's repr, printed by the
    PyTorch-GAN and DCGAN scripts) -> {name: value}; literals only, nothing is evaluated."""
    if len(line) > 100_000:
        return {}
    try:
        tree = ast.parse(line.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    call = tree.body
    if not isinstance(call, ast.Call) or call.args:
        return {}
    out: dict[str, object] = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            value = ast.literal_eval(kw.value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = ast.unparse(kw.value)
        out[kw.arg] = value if isinstance(value, (int, float, str, bool, type(None))) else \
            repr(value)
    return out


_OPT_LINE = re.compile(r"\s*(?P<k>[A-Za-z_]\w*): (?P<v>.*?)(?:\s*\[default: .*\])?\s*")


def _cyclegan_options(directory: Path) -> tuple[str, dict[str, str]] | None:
    """pytorch-CycleGAN-and-pix2pix writes its options to ``<phase>_opt.txt`` (older
    versions: ``opt.txt``) beside ``loss_log.txt``: ``name: value [default: d]`` per line."""
    for name in ("train_opt.txt", "opt.txt"):
        try:
            text = (directory / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out = {m.group("k"): m.group("v") for line in text.splitlines()
               if (m := _OPT_LINE.fullmatch(line))}
        if out:
            return name, out
    return None


def _split(text: str) -> tuple[list[str], list[str]]:
    """Segments between separators (``\\r\\n``, ``\\r``, ``\\n``) and the separators; the
    last segment is what follows the last separator (possibly empty)."""
    parts = _SEPARATORS.split(text)
    seps = _SEPARATORS.findall(text)
    return parts, seps


#: the text formats, in the order they are tried; each has ``id`` (one of
#: :attr:`TextLogReader.formats`) and ``parse(line)``, the full parser of one line (a record
#: with ``step``, ``epoch``, ``batch``, ``n_batches`` and ``points``, or None)
TEXT_FORMATS = _FORMATS
#: ``ShapeParser(fmt)(line)`` gives ``fmt.parse(line)``'s record through a per-shape template
#: cache (both read paths use it; the tests check that it agrees with the full parser)
ShapeParser = _ShapeParser


def _choose_format(segments: list[str]) -> _Format | None:
    """The format with the most records in the first 64 KB (the window guess_can_open looks
    at); the whole file only when nothing matches there."""
    window, size = [], 0
    for seg in segments:
        window.append(seg)
        size += len(seg) + 1
        if size >= _HEAD_BYTES:
            break
    best = _most_matches(window)
    if best is None and len(window) < len(segments):
        best = _most_matches(segments)
    return best


#: every ASCII digit to "0": whether a format parses a line depends on where its digits are,
#: never on which digits they are (no pattern names a digit, and int() and float() accept any
#: digits), so lines that differ only in their digits are tried once
_ZERO_DIGITS = str.maketrans("123456789", "000000000")


def _most_matches(segments: list[str]) -> _Format | None:
    shapes: dict[str, int] = {}
    for seg in segments:
        if seg.strip():
            key = seg.translate(_ZERO_DIGITS)
            shapes[key] = shapes.get(key, 0) + 1
    best, best_n = None, 0
    for fmt in _FORMATS:
        n = sum(count for key, count in shapes.items() if fmt.parse(key) is not None)
        if n > best_n:
            best, best_n = fmt, n
    return best


def _step_in_range(rec: _Record) -> bool:
    return rec.step is None or -(2 ** 63) <= rec.step < 2 ** 63


def _whole_record(tail: str, rec: _Record, records: list[_Record]) -> bool:
    """Is the unterminated last segment of a ``\\r`` stream a whole record?"""
    if not records:
        return False
    if [n for n, _ in rec.points] != [n for n, _ in records[-1].points]:
        return False
    if tail.count("[") != tail.count("]"):
        return False
    # A value is complete when something follows it: a closing bracket, or (after the last
    # bracket) text that is not a "name: value" extra, such as PyTorch-GAN's "ETA: 0:00:01".
    after = tail[tail.rfind("]") + 1:] if "]" in tail else tail
    if "--" not in after and _GROUP.search(tail):
        return True  # every value sits inside a closed bracket
    return not re.search(rf"{_NUM}%?\s*$", tail, re.IGNORECASE)


def _batch_size(hparams: dict[str, object]) -> int:
    """``batch_size`` (pix2pixHD: ``batchSize``) from the options file, else 1 (the default
    of both code bases)."""
    for key in ("batch_size", "batchSize"):
        try:
            value = int(str(hparams.get(key, "")).strip())
        except ValueError:
            continue
        if value > 0:
            return value
    return 1


def _cyclegan_steps(records: list[_Record], validation: list[bool],
                    batch_size: int) -> list[str]:
    """Give every CycleGAN/pix2pix record its global iteration (module docstring); return
    the notes saying how the samples per epoch were found."""
    # (epoch, iters) of the training lines, in file order
    train = [(int(r.epoch or 0), int(r.batch or 0)) for r, v in zip(records, validation) if not v]
    pairs = list(zip(train, train[1:]))
    # the print interval: the most common positive gap between iters within an epoch
    gaps: dict[int, int] = {}
    for (e0, i0), (e1, i1) in pairs:
        if e0 == e1 and i1 > i0:
            gaps[i1 - i0] = gaps.get(i1 - i0, 0) + 1
    interval = max(gaps, key=lambda k: (gaps[k], -k)) if gaps else None
    # samples per epoch at each epoch boundary: last iters + interval - first iters of the next
    estimates: dict[int, int] = {}
    for (e0, i0), (e1, i1) in pairs if interval is not None else ():
        n = i0 + interval - i1  # type: ignore[operator]
        if e1 == e0 + 1 and n > 0:
            estimates[n] = estimates.get(n, 0) + 1
    largest = max((int(r.batch or 0) for r in records), default=0)
    best = None
    if estimates:
        most = max(estimates, key=lambda k: (estimates[k], k))
        best = (most, estimates[most])
    per_epoch, notes = samples_per_epoch(best, sum(estimates.values()), largest, interval, batch_size)
    # epochs count from 1 (the code base's --epoch_count default); a log from 0 keeps 0
    first_epoch = min(min((int(r.epoch or 0) for r in records), default=1), 1)
    for r in records:
        r.step = ((int(r.epoch or 0) - first_epoch) * per_epoch + int(r.batch or 0)) // batch_size
    return notes


def _cyclegan_restarts(headers: list[int], records: list[_Record],
                       validation: list[bool]) -> str | None:
    """One sentence for the whole file about its relaunches, or None: every 'Training Loss'
    header after which the training step goes back (or repeats) is a relaunch."""
    relaunches: list[_Record] = []
    from_scratch = 0
    starts = set(headers)
    last: int | None = None
    pending = False
    for i, (rec, val) in enumerate(zip(records, validation)):
        pending = pending or i in starts
        if val or rec.step is None:
            continue
        if pending and last is not None and rec.step <= last:
            relaunches.append(rec)
            if rec.epoch is not None and rec.epoch <= 1:
                from_scratch += 1
        pending = False
        last = rec.step if last is None else max(last, rec.step)
    if not relaunches:
        return None
    epochs = ", ".join(str(r.epoch) for r in relaunches[:6]) + (
        " ..." if len(relaunches) > 6 else "")
    return (f"training was relaunched {len(relaunches)} time(s) in this file (a new 'Training "
            f"Loss' header, then epoch {epochs} again"
            + (f"; {from_scratch} from epoch 1, kept apart as separate attempts"
               if from_scratch else "") + ")")


def _frame(records: list[_Record], validation: list[bool] | None = None) -> pd.DataFrame:
    tags: list[str] = []
    steps: list[int] = []
    values: list[float] = []
    for i, rec in enumerate(records):
        step = i if rec.step is None else rec.step
        prefix = VALIDATION_PREFIX if validation is not None and validation[i] else ""
        for name, v in rec.points:
            tags.append(prefix + name)
            steps.append(step)
            values.append(v)
    return pd.DataFrame({"tag": tags, "step": np.asarray(steps, dtype=np.int64),
                         "value": np.asarray(values, dtype=np.float64)})
