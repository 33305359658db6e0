"""Where the password of an encrypted workbook comes from (issue #17): never a command-line argument, never a file.

In order: the environment variable `XLFIN_BOOK_PASSWORD`; the OS keyring (optional `keyring` package; service
`xlfin`, user = the book's absolute path, else `default`); a prompt, only when both stdin and stderr are a terminal
(a batch job never hangs waiting for input). The value is wrapped in `Secret`, whose repr hides it, so a traceback,
a log line or an Audit row cannot show it by accident.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "XLFIN_BOOK_PASSWORD"
KEYRING_SERVICE = "xlfin"
KEYRING_DEFAULT_USER = "default"
PROMPT_ATTEMPTS = 3


@dataclass(frozen=True)
class Secret:
    """A password and where it came from; `str()`/`repr()` never show the value."""

    value: str = field(repr=False)
    source: str  # "XLFIN_BOOK_PASSWORD", "the OS keyring", "the prompt"

    def __str__(self) -> str:
        return f"<password from {self.source}>"

    def __repr__(self) -> str:
        return f"Secret(source={self.source!r})"


def from_environment() -> Secret | None:
    value = os.environ.get(ENV_VAR)
    return Secret(value, ENV_VAR) if value else None


def from_keyring(path: Path) -> Secret | None:
    """The keyring entry for this book, else the default entry; None when keyring is absent or has no backend."""
    try:
        import keyring
    except ImportError:  # optional dependency
        return None
    for user in (str(Path(path).resolve()), KEYRING_DEFAULT_USER):
        try:
            value = keyring.get_password(KEYRING_SERVICE, user)
        except Exception:  # noqa: BLE001 - no usable backend (headless server): as if no entry
            return None
        if value:
            return Secret(value, "the OS keyring")
    return None


def can_prompt() -> bool:
    """Ask only a person at a terminal: both the input and the error stream must be a TTY."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def from_prompt(path: Path, prompt: Callable[[str], str] | None = None) -> Secret | None:
    ask = prompt or (lambda text: getpass.getpass(text, stream=sys.stderr))
    value = ask(f"Password for {Path(path).name}: ")
    return Secret(value, "the prompt") if value else None


def candidates(path: Path) -> Iterator[Secret]:
    """The passwords to try, in order; the prompt repeats (up to PROMPT_ATTEMPTS) while a person is there to answer."""
    for found in (from_environment(), from_keyring(path)):
        if found is not None:
            yield found
            return  # a configured password is the answer: a wrong one is an error, not a reason to ask
    if can_prompt():
        for _ in range(PROMPT_ATTEMPTS):
            asked = from_prompt(path)
            if asked is None:
                return
            yield asked
