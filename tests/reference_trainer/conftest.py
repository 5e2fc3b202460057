"""Run the trainer tests single-threaded (small matrices; a shared 2-core machine)."""

try:
    import torch
except ImportError:  # the test modules skip themselves
    torch = None

if torch is not None:
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
