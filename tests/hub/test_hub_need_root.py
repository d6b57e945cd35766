"""need_root() (tests/hub/conftest.py): skips without root on a teacher's machine, fails on CI."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# tests/hub/conftest.py by its path: the name "conftest" may be tests/conftest.py
_spec = importlib.util.spec_from_file_location("hub_conftest", Path(__file__).with_name("conftest.py"))
hub_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hub_conftest)


@pytest.fixture
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)


def test_skips_without_root_off_ci(not_root, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs root"):
        hub_conftest.need_root()


def test_fails_without_root_on_ci(not_root, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the hub tests: needs root"):
        hub_conftest.need_root()
