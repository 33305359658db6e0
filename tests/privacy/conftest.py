"""Fixtures of the privacy tests: passwords in isolation from the developer's environment and keyring."""

from __future__ import annotations

import pytest
from privacy_helpers import PASSWORD

from xlfin.xlsx import password


@pytest.fixture
def no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """No password anywhere: not in the environment, not in a keyring, no terminal to ask on (tests/conftest.py does
    this for every test already; the privacy tests name it because they depend on it)."""
    monkeypatch.delenv(password.ENV_VAR, raising=False)
    monkeypatch.setattr(password, "from_keyring", lambda _path: None)
    monkeypatch.setattr(password, "can_prompt", lambda: False)


@pytest.fixture
def with_password(monkeypatch: pytest.MonkeyPatch, no_password: None) -> str:
    monkeypatch.setenv(password.ENV_VAR, PASSWORD)
    return PASSWORD
