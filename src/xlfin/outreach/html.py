"""Statements and confirmations as HTML: sandboxed Jinja2 with autoescape (customer names are data, SPEC §8)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..schema import Lang
from .pdf import bucket_label, money
from .statements import Statement
from .texts import tr

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "statements"


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR), encoding="utf-8"),
                                autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(st: Statement, kind: str, lang: Lang, company: str) -> str:
    """kind: 'statement' or 'confirmation'."""
    template = _env().get_template(f"{kind}.html.j2")
    return template.render(st=st, lang=lang, company=company, money=money,
                           t=lambda key, **fmt: tr(key, lang, **fmt), bucket=lambda lbl: bucket_label(lbl, lang))
