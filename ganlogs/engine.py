"""Where the per-run work of :func:`ganlogs.analyze` runs: in this process, in a local pool
of worker processes, or on a dask.distributed cluster.

:func:`map_ordered` applies a picklable function to every item and returns the results in
the items' order, whatever order they finish in. The function is expected to turn its own
failures into results (``analysis`` does: one bad run never stops the others); should a
worker process die all the same (a crash in a C extension, the kernel's out-of-memory
killer), the items it held are retried, then run one at a time, and the one that kills its
worker gets ``on_crash(item, reason)`` as its result.

Engines
-------
``local`` (default)
    ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`; forked,
    or started by ``forkserver`` when this process runs threads); ``jobs=1`` or fewer than
    :data:`SMALL_SWEEP` items run in this process, where starting workers would cost more
    than it saves.
``dask``
    Tasks go to the dask.distributed scheduler at ``scheduler`` (``tcp://host:8786``). The
    workers must see the same paths as this process (a shared file system) and have
    ganlogs installed. Needs ``pip install "ganlogs[dask]"``.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence, TypeVar

from .errors import UsageError

__all__ = ["ENGINES", "SMALL_SWEEP", "default_jobs", "map_ordered"]

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "dask")
#: sweeps with fewer runs than this are analysed in-process by the local engine
SMALL_SWEEP = 8
#: how long the dask engine waits for the scheduler before giving up
DASK_CONNECT_TIMEOUT = "20s"
#: runs per task sent to a local worker: each worker gets about this many tasks over the
#: sweep (so the load stays balanced and progress moves), with at most MAX_BATCH runs each
#: (a task's fixed cost, pickling the function and a round trip, is paid once per batch)
TASKS_PER_WORKER = 16
MAX_BATCH = 32
_PRELOAD = ["ganlogs.analysis", "ganlogs.readers", "ganlogs.cache", "scipy.stats",
            "statsmodels.tsa.stattools"]


def default_jobs() -> int:
    """The number of CPUs this process may use (``os.cpu_count()`` narrowed by affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs must be a positive integer (or None for every CPU); got {jobs!r}")
    return jobs


def map_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    engine: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_crash: Callable[[T, str], R] | None = None,
    prepare: Callable[[], None] | None = None,
    on_ready: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, computed by ``engine`` (see the module docstring).

    ``progress(done, total)`` is called in this process after each item finishes (in
    completion order). ``fn`` and the items must be picklable unless the work stays in
    this process. ``prepare()`` runs in this process before local workers are forked, so
    that what it imports or caches is inherited instead of repeated in every worker.
    ``on_ready(index, result)`` is called in this process for each item in the items' order,
    as soon as that item and every earlier one are done (a caller can write results out
    while later ones are still computed).
    """
    ready = _InOrder(on_ready) if on_ready is not None else None
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    jobs = _check_jobs(jobs)
    if engine == "dask":
        if not scheduler:
            raise UsageError("the dask engine needs a scheduler address, e.g. "
                             "--scheduler tcp://HOST:8786")
        return _map_dask(fn, items, scheduler=scheduler, progress=progress, on_crash=on_crash,
                         ready=ready)
    if scheduler:
        raise UsageError("--scheduler is only used with --engine dask")
    if jobs == 1 or len(items) < SMALL_SWEEP or not _picklable((fn, items[0])):
        return _map_inline(fn, items, progress, ready)
    if prepare is not None:
        prepare()
    return _map_pool(fn, items, jobs=min(jobs, len(items)), progress=progress,
                     on_crash=on_crash, ready=ready)


def _picklable(obj: Any) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


class _InOrder:
    """Hands results to ``on_ready(index, result)`` in index order as they complete."""

    def __init__(self, on_ready: Callable[[int, Any], None]) -> None:
        self.on_ready = on_ready
        self.waiting: dict[int, Any] = {}
        self.next = 0

    def add(self, index: int, value: Any) -> None:
        self.waiting[index] = value
        while self.next in self.waiting:
            self.on_ready(self.next, self.waiting.pop(self.next))
            self.next += 1


def _map_inline(fn, items, progress, ready=None):
    results = []
    total = len(items)
    for i, item in enumerate(items, 1):
        results.append(fn(item))
        if ready is not None:
            ready.add(i - 1, results[-1])
        if progress is not None:
            progress(i, total)
    return results


def _context():
    """``fork`` where it is safe (POSIX, this process has one thread): workers start at
    once and need no ``if __name__ == "__main__"`` guard. A multi-threaded parent is never
    forked: ``forkserver`` (with ganlogs preloaded), else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _crash_reason(exc: BaseException) -> str:
    return ("the worker process analysing it died "
            f"({type(exc).__name__}: {exc or 'no message'}); "
            "likely out of memory or a crash in a compiled library")


def _map_pool(fn, items, *, jobs, progress, on_crash, ready=None):
    # The results pile up here for the whole sweep (a digest and findings per run: ~200
    # objects each), and the collector would scan them again and again as they grow (~1.5
    # of the parent's ~5 CPU-s for 20,000 tiny runs) to find no garbage: it pauses while
    # the workers run, and is back to what it was afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _map_pool_collect(fn, items, jobs=jobs, progress=progress, on_crash=on_crash,
                                 ready=ready)
    finally:
        if collecting:
            gc.enable()


def _map_pool_collect(fn, items, *, jobs, progress, on_crash, ready=None):
    total = len(items)
    results: dict[int, Any] = {}
    done = 0

    def finish(index: int, value: Any) -> None:
        nonlocal done
        results[index] = value
        if ready is not None:
            ready.add(index, value)
        done += 1
        if progress is not None:
            progress(done, total)

    pending = list(range(total))
    # First pass with every worker, items in batches; if a worker dies, the pool is broken
    # and every item it had not finished comes back here. Retry those once in a fresh pool
    # (the crash may have been a neighbour's), item by item, then one at a time in a pool of
    # one so the culprit is known. Workers that cannot even start (a probe task fails) mean
    # the work runs in this process instead.
    for attempt in range(2):
        if not pending:
            break
        batch = batch_size(len(pending), jobs) if attempt == 0 else 1
        pending, started = _run_pool(fn, items, pending, jobs, finish, on_crash, batch)
        if not started:
            warnings.warn("ganlogs: worker processes could not start; analysing the "
                          f"remaining {len(pending)} run(s) in this process",
                          RuntimeWarning, stacklevel=3)
            for index in pending:
                finish(index, fn(items[index]))
            pending = []
    for index in pending:
        left, _ = _run_pool(fn, items, [index], 1, finish, on_crash)
        if left:
            reason = _crash_reason(BrokenProcessPool("a worker process terminated abruptly"))
            if on_crash is None:
                raise BrokenProcessPool(f"item {index}: {reason}")
            finish(index, on_crash(items[index], reason))
    return [results[i] for i in range(total)]


def batch_size(n: int, jobs: int) -> int:
    """Items per task for ``n`` items on ``jobs`` workers (see :data:`TASKS_PER_WORKER`)."""
    return max(1, min(MAX_BATCH, n // (jobs * TASKS_PER_WORKER)))


class _Raised:
    """What a batch sends back for an item whose call raised (the others still count)."""

    def __init__(self, exc: BaseException) -> None:
        self.text = f"{type(exc).__name__}: {exc}"


def _call_batch(fn, batch: list) -> list:
    """``fn`` over one batch in a worker; an item that raises costs only that item."""
    out = []
    for item in batch:
        try:
            out.append(fn(item))
        except Exception as exc:  # noqa: BLE001 - reported for this item by the parent
            out.append(_Raised(exc))
    return out


def _worker_started() -> None:
    """In each worker, once: move every object it started with (the modules and the
    detectors' libraries a forked worker inherits: hundreds of thousands of objects) out of
    the garbage collector's reach, so that its collections scan only what the runs allocate
    (about 3% of a tiny run's CPU time otherwise) and leave the inherited pages shared."""
    gc.freeze()


def _run_pool(fn, items, indices: list[int], jobs: int, finish,
              on_crash, batch: int = 1) -> tuple[list[int], bool]:
    """Run ``indices`` in a fresh pool, ``batch`` items per task; return the indices left
    unfinished by a crash, and whether the workers could start at all."""
    unfinished: list[int] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                             initializer=_worker_started) as pool:
        try:
            pool.submit(os.getpid).result()
        except BrokenProcessPool:
            return list(indices), False
        futures: dict[Future, list[int]] = {}
        try:
            for k in range(0, len(indices), batch):
                group = indices[k:k + batch]
                if batch == 1:
                    futures[pool.submit(fn, items[group[0]])] = group
                else:
                    futures[pool.submit(_call_batch, fn, [items[i] for i in group])] = group
        except BrokenProcessPool:
            pass
        waiting = set(futures)
        try:
            _collect(waiting, futures, items, unfinished, finish, on_crash, batch > 1)
        except BaseException:  # Ctrl-C: drop the queued runs instead of finishing them all
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        submitted = {i for group in futures.values() for i in group}
        unfinished.extend(i for i in indices if i not in submitted)
    return sorted(unfinished), True


def _collect(waiting, futures, items, unfinished, finish, on_crash, batched: bool) -> None:
    """Wait for ``futures``; finish each result, note those a broken pool lost. A batch
    whose result could not come back (unpicklable) is retried item by item."""
    while waiting:
        ready, waiting = wait(waiting, return_when=FIRST_COMPLETED)
        for fut in ready:
            group = futures[fut]
            try:
                value = fut.result()
            except BrokenProcessPool:
                unfinished.extend(group)
                continue
            except Exception as exc:  # fn raised, or its result could not be pickled
                if batched:
                    unfinished.extend(group)  # the retry goes item by item
                    continue
                if on_crash is None:
                    raise
                value = on_crash(items[group[0]], f"{type(exc).__name__}: {exc}")
            values = value if batched else [value]
            for index, v in zip(group, values):
                if isinstance(v, _Raised):
                    if on_crash is None:
                        raise RuntimeError(f"item {index}: {v.text}")
                    v = on_crash(items[index], v.text)
                finish(index, v)


def _map_dask(fn, items, *, scheduler, progress, on_crash, ready=None):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError('the dask engine needs dask.distributed: pip install "ganlogs[dask]" '
                         '(or pip install "dask[distributed]")') from None
    total = len(items)
    if not total:
        return []
    try:
        client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = client.map(fn, list(items), pure=False)
        index = {fut.key: i for i, fut in enumerate(futures)}
        results: dict[int, Any] = {}
        for done, fut in enumerate(as_completed(futures, loop=client.loop), 1):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:  # KilledWorker, or a result that could not be sent
                if on_crash is None:
                    raise
                results[i] = on_crash(items[i], f"the dask task failed ({type(exc).__name__}: "
                                                f"{exc})")
            if ready is not None:
                ready.add(i, results[i])
            if progress is not None:
                progress(done, total)
        return [results[i] for i in range(total)]
    finally:
        client.close()
