"""Print the curves benchmark's summary tables as markdown (what docs/benchmarks.md shows).

    python scripts/bench_tables.py docs/bench/curves_fast.json [more.json ...]

Several files are merged first (runs of one dataset pooled), as
``benchmarks.curves.merge_curves`` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.curves import markdown_tables, merge_curves  # noqa: E402


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    results = [json.loads(Path(path).read_text()) for path in paths]
    print(markdown_tables(results[0] if len(results) == 1 else merge_curves(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
