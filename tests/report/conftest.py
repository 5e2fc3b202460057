"""Fixtures of the report and check tests; the helpers live in ``report_support`` (a module
name of its own, so that test directories never shadow each other's ``conftest``)."""

from report_support import _private_cache, fake_detectors, sweep, wide_csv  # noqa: F401
