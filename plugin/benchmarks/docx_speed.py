"""The personalised .docx conversion timed against the previous writer (a style looked up by
name on every paragraph) in the same run, at a template's size and at the block bound:
``python -m plugin.benchmarks.docx_speed``."""
from __future__ import annotations

import argparse
import io
import statistics
import time
from dataclasses import dataclass

from docx import Document

from plugin.content import docx_export, markdown_walk
from plugin.content.docx_export import markdown_to_docx
from plugin.content.export_limits import MAX_EXPORT_BLOCKS as MAX_BLOCKS


class _NamedStyleWriter(docx_export._Writer):
    """The same writer with the paragraph styles set as before issue 13: python-docx resolves
    the style's name among all styles on every paragraph."""

    def new_paragraph(self, style: str | None = None):
        return self.document.add_paragraph(style=style)


def previous_markdown_to_docx(markdown: str) -> bytes:
    document = Document()
    _NamedStyleWriter(document).write(markdown_walk.parse(markdown))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


#: A template's kinds of block, and how many blocks each counts as in the export bound (a bullet
#: is its list, its item and its paragraph; a quote is the quote and its paragraph).
_KINDS = (("## Section {i}", 1), ("Paragraph {i} with **bold** and *em* text.", 1),
          ("- point {i} for {{{{account.name}}}}", 3), ("> a customer quote {i}", 2))


def sample(blocks: int) -> str:
    """A template-like text of at most ``blocks`` blocks as the export bound counts them:
    headings, paragraphs, bullets and quotes in turn."""
    parts, counted, i = [], 0, 0
    while counted + _KINDS[i % 4][1] <= blocks:
        template, cost = _KINDS[i % 4]
        parts.append(template.format(i=i))
        counted, i = counted + cost, i + 1
    return "\n\n".join(parts)


@dataclass(frozen=True)
class Row:
    blocks: int
    chars: int
    current_ms: float
    previous_ms: float

    @property
    def speedup(self) -> float:
        return self.previous_ms / self.current_ms


def _median_ms(convert, text: str, repeats: int) -> float:
    convert(text)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        convert(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(sizes: tuple[int, ...] = (40, 150, MAX_BLOCKS), repeats: int = 3) -> list[Row]:
    rows = []
    for blocks in sizes:
        text = sample(blocks)
        rows.append(Row(blocks, len(text), _median_ms(lambda t: markdown_to_docx(t, title="b"), text, repeats),
                        _median_ms(previous_markdown_to_docx, text, repeats)))
    return rows


def format_report(rows: list[Row]) -> str:
    lines = [f"{'blocks':>7} {'chars':>8} {'current ms':>11} {'previous ms':>12} {'previous/current':>17}"
             f" {'current ms/block':>17}"]
    for r in rows:
        lines.append(f"{r.blocks:>7,} {r.chars:>8,} {r.current_ms:>11.1f} {r.previous_ms:>12.1f}"
                     f" {r.speedup:>16.1f}x {r.current_ms / r.blocks:>17.3f}")
    first, last = rows[0], rows[-1]
    growth = (last.current_ms / last.blocks) / (first.current_ms / first.blocks)
    lines.append(f"time per block at {last.blocks:,} blocks / at {first.blocks:,}: {growth:.2f} "
                 "(1.0 is linear)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=f"40,150,{MAX_BLOCKS}")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(format_report(run(tuple(int(s) for s in args.sizes.split(",")), args.repeats)))


if __name__ == "__main__":
    main()
