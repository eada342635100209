"""labelloop search --project DIR (--text WORDS | --regex PATTERN | --similar TEXT | --similar-to ID) [filters]"""

from __future__ import annotations

import argparse
import json
import sys

from annotator.cli.options import add_project_option, progress_bar
from annotator.errors import InputError
from annotator.services import search as searching
from annotator.services.projects import open_project

EPILOG = """Examples:
  labelloop search --text "refund never arrived" --limit 20
  labelloop search --regex '^How many' --json
  labelloop search --similar 'What is the capital city of Australia ?' --limit 20
  labelloop search --similar-to 42 --unlabeled --sort uncertainty
  labelloop search --predicted spam --max-confidence 0.6 --json
"""


def _unit(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return number


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "search",
        help="find texts by words, a regular expression or meaning, with filters",
        description="Search the project's texts. --text: every word must occur (any case). --regex: a "
                    "regular expression (Python syntax; time-limited). --similar: texts closest in meaning "
                    "to a sentence, by the current model's encoder over the cached pool embeddings (the pool "
                    "is embedded first, with a progress bar, where the worker has not done it, as for texts "
                    "imported since it last ran). --similar-to: texts closest to the text with that id. Without "
                    "any of them the filters alone select. "
                    "Prints a JSON list of {id, text, label, predicted, confidence, score} with --json, "
                    "otherwise one line per text.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_option(parser)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--text", metavar="WORDS", help="texts holding every one of these words (any case)")
    how.add_argument("--regex", metavar="PATTERN", help="texts where this regular expression matches")
    how.add_argument("--similar", metavar="TEXT", help="texts closest in meaning to this sentence")
    how.add_argument("--similar-to", metavar="ID", type=int, help="texts closest in meaning to the text with this id")
    parser.add_argument("--label", metavar="L", help="only texts with a current label L (anyone's)")
    parser.add_argument("--predicted", metavar="L", help="only texts the current model predicts as L")
    parser.add_argument("--min-confidence", metavar="X", type=_unit, help="only predictions at least this confident")
    parser.add_argument("--max-confidence", metavar="X", type=_unit, help="only predictions at most this confident")
    parser.add_argument("--annotator", metavar="NAME", help="only texts NAME has labeled")
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--labeled", dest="labeled", action="store_true", default=None, help="only labeled texts")
    state.add_argument("--unlabeled", dest="labeled", action="store_false", help="only unlabeled texts")
    parser.add_argument("--disagreement", action="store_true", default=None,
                        help="only texts whose annotators disagree (open on the Review page)")
    parser.add_argument("--skipped", action="store_true", default=None, help="only texts someone skipped")
    evals = parser.add_mutually_exclusive_group()
    evals.add_argument("--eval", dest="is_eval", action="store_true", default=None,
                       help="only texts of the evaluation set")
    evals.add_argument("--no-eval", dest="is_eval", action="store_false", help="leave out the evaluation set")
    parser.add_argument("--source", metavar="FILE", help="only texts imported from this file (as recorded)")
    parser.add_argument("--sort", choices=searching.SORTS, default="relevance",
                        help="relevance (default), uncertainty (least confident first) or confidence")
    parser.add_argument("--limit", type=int, default=20, help="how many texts to print (default 20)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many matches first (paging)")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(func=run)


def build_search(args: argparse.Namespace) -> searching.Search:
    filters = searching.Filters(
        label=args.label, predicted=args.predicted, min_confidence=args.min_confidence,
        max_confidence=args.max_confidence, annotator=args.annotator, disagreement=args.disagreement,
        skipped=args.skipped, is_eval=args.is_eval, labeled=args.labeled, source=args.source,
    )
    if args.text is not None:
        return searching.Search("words", args.text, filters=filters, sort=args.sort)
    if args.regex is not None:
        return searching.Search("regex", args.regex, filters=filters, sort=args.sort)
    if args.similar is not None:
        return searching.Search("similar", args.similar, filters=filters, sort=args.sort)
    if args.similar_to is not None:
        return searching.Search("similar_to", example_id=args.similar_to, filters=filters, sort=args.sort)
    return searching.Search("all", filters=filters, sort=args.sort)


def run(args: argparse.Namespace) -> int:
    query = build_search(args)
    with open_project(args.project) as project:
        searching.check_search(project, query)
        if not 1 <= args.limit <= searching.MAX_LIMIT:
            raise InputError(f"--limit must be between 1 and {searching.MAX_LIMIT:,}")
        vector = None
        if query.mode in ("similar", "similar_to") and searching.uncached_count(project):
            from annotator.services.training.query_embedding import ensure_pool_embeddings  # imports torch

            ensure_pool_embeddings(project, progress_bar)
            sys.stderr.write("\n")
        if query.mode == "similar":
            from annotator.services.training.query_embedding import embed_query  # imports torch

            vector = embed_query(project, query.query)
        page = searching.search(project, query, offset=args.offset, limit=args.limit, query_vector=vector)
    if args.json:
        print(json.dumps([result.as_json() for result in page.results], indent=2, ensure_ascii=False))
        if page.total > page.offset + len(page.results):  # said on stderr: stdout stays the JSON list
            sys.stderr.write(f"{page.total:,} matches; printed {len(page.results)} from {page.offset + 1} "
                             "(--limit and --offset for more)\n")
        return 0
    print(f"{page.total:,} match{'es' if page.total != 1 else ''}; showing {len(page.results)} "
          f"from {page.offset + 1 if page.results else 0}")
    for result in page.results:
        prediction = f"{result.predicted} {result.confidence:.2f}" if result.predicted else "-"
        score = f"{result.score:.3f}" if result.score is not None else "-"
        text = " ".join(result.text.split())
        print(f"{result.example_id:>8}  {result.label or '-':<12} {prediction:<18} {score:>7}  "
              f"{text[:100]}{'…' if len(text) > 100 else ''}")
    return 0
