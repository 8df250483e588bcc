"""The report document: blocks of text, tables and figures, rendered by a Jinja2 template.

Sections append plain data (:class:`Block`) to a :class:`Doc`; the template
``templates/report.html.j2`` (package data) turns them into HTML with autoescaping on,
so any text from a cube (names, attributes, descriptions, the config) reaches the page
as text, never as markup. Figures become PNG ``data:`` URIs, so the page needs no other
file.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from matplotlib.figure import Figure

#: Resolution of the embedded PNGs [dots per inch].
DPI = 96

#: The template of the whole document (in this package's ``templates`` folder).
TEMPLATE = "report.html.j2"


@cache
def environment() -> Environment:
    """The Jinja2 environment of the report templates: autoescaping on for every template."""
    return Environment(
        loader=PackageLoader("abm.analysis.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def png_data_uri(fig: Figure, dpi: int = DPI) -> str:
    """A figure as a ``data:image/png;base64,...`` URI (PNG at ``dpi`` dots per inch).

    Saved with ``bbox_inches="tight"``, so titles and legends outside the axes are kept
    whole.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass
class Block:
    """One block of the document, as the template reads it.

    ``kind`` is ``section`` (``anchor``, ``text``), ``heading`` / ``para`` (``text``,
    ``cls``), ``table`` (``header``, ``rows``, ``classes``: one CSS class or None per
    column), ``figure`` (``src``, ``alt``, ``caption``) or ``details`` (``text`` as the
    summary, ``body`` preformatted).
    """

    kind: str
    text: str = ""
    anchor: str = ""
    cls: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    classes: list[str | None] = field(default_factory=list)
    src: str = ""
    alt: str = ""
    caption: str | None = None
    body: str = ""


@dataclass
class MetaLine:
    """A line under the title: ``text``, then ``code`` in monospace, then ``tail``."""

    text: str
    code: str = ""
    tail: str = ""


class Doc:
    """A report under construction: sections (listed in the table of contents) and blocks."""

    def __init__(self) -> None:
        """An empty document."""
        self.blocks: list[Block] = []

    def section(self, anchor: str, title: str) -> None:
        """Start a section (an ``h2`` with id ``anchor``, listed in the contents)."""
        self.blocks.append(Block("section", text=title, anchor=anchor))

    def heading(self, title: str) -> None:
        """A sub-heading (``h3``)."""
        self.blocks.append(Block("heading", text=title))

    def para(self, text: str, cls: str | None = None) -> None:
        """A paragraph, of CSS class ``cls`` (``meta``: small print, ``note``: a warning)."""
        self.blocks.append(Block("para", text=text, cls=cls))

    def note(self, text: str) -> None:
        """A highlighted note (missing points, skipped analyses)."""
        self.para(text, "note")

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        numeric: Sequence[bool] | None = None,
        classes: Sequence[str | None] | None = None,
    ) -> None:
        """A table; ``numeric[i]`` right-aligns column ``i`` (or give CSS ``classes``)."""
        if classes is None:
            num = list(numeric) if numeric is not None else [False] * len(header)
            classes = ["num" if n else None for n in num]
        cols = list(classes)
        body = [[str(v) for v in row] for row in rows]
        for row in body:
            if len(row) != len(cols):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(cols)} columns")
        self.blocks.append(Block("table", header=list(header), rows=body, classes=cols))

    def figure(self, fig: Figure, alt: str, caption: str | None = None) -> None:
        """A figure, embedded as a PNG data URI, with its alt text and caption."""
        self.blocks.append(Block("figure", src=png_data_uri(fig), alt=alt, caption=caption))

    def details(self, summary: str, body: str) -> None:
        """A collapsed block of preformatted text under a one-line summary."""
        self.blocks.append(Block("details", text=summary, body=body))


def render(title: str, meta: Sequence[MetaLine], doc: Doc) -> str:
    """The HTML text of a document: title, lines under it, contents, then the blocks."""
    template = environment().get_template(TEMPLATE)
    return template.render(title=title, meta=list(meta), blocks=doc.blocks)


__all__ = ["DPI", "Block", "Doc", "MetaLine", "environment", "png_data_uri", "render"]
