"""Fixtures and the terminal summary of the scale tests; the helpers live in
``scale_support`` (a module name of its own, so that test directories never shadow each
other's ``conftest``)."""

from scale_support import (_private_cache_dir, pytest_terminal_summary,  # noqa: F401
                           settled_files)
