"""Where static/ and templates/ are: inside the installed package, or at the top of a source checkout.

Both the web layer (pages) and export (the offline page) render templates, so the one Jinja2
environment lives here, below both, rather than in a router."""

from __future__ import annotations

from pathlib import Path

import jinja2


def asset_dir(name: str) -> Path:
    packaged = Path(__file__).parent / name
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / name


templates_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(asset_dir("templates"))), autoescape=True
)
