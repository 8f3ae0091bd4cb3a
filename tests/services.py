"""Tests that need a service (Redis, a browser, gunicorn) skip without it on a laptop; under
CI=true a missing service is a failure, never a silent skip."""

import os

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip without the component; under CI=true a missing component is a failure."""
    if condition:
        return
    if on_ci():
        pytest.fail(f"{reason} (CI=true, so this is not skipped)")
    pytest.skip(reason)
