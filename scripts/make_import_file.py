"""Write a seeded synthetic catalog as an import file, to time `beinspired catalog import`.
Run ``.venv/bin/python scripts/make_import_file.py 10000 /tmp/c10k.csv [--title-suffix " v2"]``.
Design: docs/design/scripts.md."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from content_catalog.import_export import export_modules  # noqa: E402
from content_catalog.modules import ModuleInput  # noqa: E402
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus  # noqa: E402
from recommender.synthetic import synthetic_catalog  # noqa: E402

KINDS = {"business case": ModuleKind.BUSINESS_CASE_TEMPLATE}
AUTHORS = (
    "Priya Raman (Healthcare Enablement)", "Jonas Berg", "Ana Souza, Field Marketing",
    "Enablement team",
)  # fmt: skip


def import_modules(count: int, seed: int, title_suffix: str = "") -> list[ModuleInput]:
    modules = []
    for number, candidate in enumerate(synthetic_catalog(count, seed)):
        kind_name = candidate.module_id.rsplit("-", 1)[0].replace("-", " ")  # "case-study-00042"
        words = candidate.text[len(kind_name):].split()
        paragraphs = [" ".join(words[start : start + 40]) for start in range(0, len(words), 40)]
        modules.append(ModuleInput(
            key=candidate.module_id,
            title=" ".join(words[:8]).capitalize() + title_suffix,
            summary=" ".join(words[:30]).capitalize() + ".",
            body="\n\n".join(paragraphs) + "\n",
            kind=KINDS.get(kind_name) or ModuleKind(kind_name.replace(" ", "_")),
            audience=Audience(candidate.audience),
            author=AUTHORS[number % len(AUTHORS)],
            status=ModuleStatus.PUBLISHED,
            link=f"https://content.example/modules/{candidate.module_id}",
            review_by=candidate.review_by,
            tags={Dimension(name): values for name, values in candidate.tags.items()},
        ))  # fmt: skip
    return modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path, help="*.csv or *.json")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--title-suffix", default="")
    args = parser.parse_args()
    # In key order, as an export writes them: exporting after the import gives the same bytes.
    modules = sorted(import_modules(args.count, args.seed, args.title_suffix), key=lambda m: m.key)
    data = export_modules(modules, args.output.suffix.lstrip("."))
    args.output.write_bytes(data)
    print(f"{args.count:,} modules, {len(data):,} bytes: {args.output}")


if __name__ == "__main__":
    main()
