"""The .docx benchmark runs and its report agrees with itself; no timing is asserted
(BENCHMARKS.md says why)."""
from __future__ import annotations

import docx
import io

from plugin.benchmarks.docx_speed import format_report, previous_markdown_to_docx, run, sample
from plugin.content.docx_export import markdown_to_docx
from plugin.content.export_limits import MAX_EXPORT_BLOCKS as MAX_BLOCKS


def test_the_sample_has_the_asked_number_of_blocks_and_both_writers_agree_on_it():
    text = sample(14)  # two of each kind: 2 × (1 + 1 + 3 + 2) blocks in 8 paragraphs
    current = docx.Document(io.BytesIO(markdown_to_docx(text, title="t")))
    previous = docx.Document(io.BytesIO(previous_markdown_to_docx(text)))
    assert len(current.paragraphs) == 8
    markdown_to_docx(sample(MAX_BLOCKS), title="t")  # the largest sample is within the bound
    assert [(p.style.name, p.text) for p in current.paragraphs] == [(p.style.name, p.text) for p in previous.paragraphs]


def test_the_report_has_a_row_per_size_and_the_growth_line():
    rows = run(sizes=(4, 8), repeats=1)
    assert [r.blocks for r in rows] == [4, 8]
    assert all(r.current_ms > 0 and r.previous_ms > 0 for r in rows)
    report = format_report(rows).splitlines()
    assert len(report) == 4 and report[-1].startswith("time per block at 8 blocks / at 4:")
