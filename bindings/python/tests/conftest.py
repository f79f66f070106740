# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Fixtures of the binding's tests; the helpers are in support.py."""

from __future__ import annotations

import pytest

import mikey
from support import TEST_PSK


@pytest.fixture
def closing():
    """Registers configs and sessions to close when the test ends: ``closing(obj)`` returns
    obj."""
    objects = []

    def register(*items):
        objects.extend(items)
        return items[0] if len(items) == 1 else items

    yield register
    for item in reversed(objects):
        item.close()


@pytest.fixture
def psk_config(closing):
    """A PSK config with TEST_PSK and verification requested (ffi-tests' test_psk_params)."""
    return closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True))
