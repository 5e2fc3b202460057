"""Run the trainer tests single-threaded (small matrices; a shared 2-core machine).

Flushing denormals is CPU state for the whole process (FTZ/DAZ): it changes how every C
float parser and numpy kernel treats values below 2.2e-308, so it is switched on only around
the trainer tests and switched off again after each one.
"""

import pytest

try:
    import torch
except ImportError:  # the test modules skip themselves
    torch = None


@pytest.fixture(autouse=True)
def _trainer_cpu_settings():
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)
