"""labelloop labels list|add|rename|merge|delete ... --project DIR"""

from __future__ import annotations

import argparse

from annotator.cli.options import add_project_option
from annotator.services.labelset import add_labels, delete_label, get_labels, merge_labels, rename_label
from annotator.services.projects import open_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "labels",
        help="show or change the label set: add, rename, merge, delete",
        description="The project's ordered label set. Every change is one transaction and is recorded; "
        "a rename keeps every stored label's meaning, a merge moves labels and keeps what each was "
        "given (raw export: original_label), a delete refuses while labels use the label unless they "
        "are moved. Labels that differ only in case are refused.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _action(actions, "list", run_list, "print the labels in display order",
            "Print the labels in display order, one a line.")
    adding = _action(actions, "add", run_add, "append labels to the label set",
                     "Append one or more labels to the end of the label set.", "labelloop labels add refund complaint")
    adding.add_argument("names", nargs="+", metavar="NAME", help="a label to add")
    renaming = _action(actions, "rename", run_rename, "give a label a new name everywhere",
                       "Rename a label: every stored label, suggestion and prediction of it takes the new name.",
                       "labelloop labels rename tech technical")
    renaming.add_argument("old", metavar="OLD", help="the label's name now")
    renaming.add_argument("new", metavar="NEW", help="its new name")
    merging = _action(actions, "merge", run_merge, "move every label of one label to another and remove the first",
                      "Merge FROM into INTO: every label row giving FROM gives INTO from now on (each keeps what it "
                      "was given as its original label); FROM leaves the label set.",
                      "labelloop labels merge refunds billing")
    merging.add_argument("source", metavar="FROM", help="the label that goes away")
    merging.add_argument("target", metavar="INTO", help="the label its rows move to")
    deleting = _action(actions, "delete", run_delete, "remove a label (refused while labels use it, unless --move-to)",
                       "Remove a label from the set. Refused while any label row gives it, unless --move-to names "
                       "the label those rows move to.", "labelloop labels delete other --move-to feedback")
    deleting.add_argument("name", metavar="LABEL", help="the label to remove")
    deleting.add_argument("--move-to", metavar="OTHER", help="move the label's rows to OTHER first")


def _action(actions: argparse._SubParsersAction, name: str, func, help_text: str, description: str,
            example: str | None = None) -> argparse.ArgumentParser:
    """One ``labels ACTION`` with its help, its example, --project and its function."""
    action = actions.add_parser(name, help=help_text, description=description,
                                epilog=f"Example: {example}" if example else None)
    add_project_option(action)
    action.set_defaults(func=func)
    return action


def run_list(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        for name in get_labels(project.db):
            print(name)
    return 0


def run_add(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        labels = add_labels(project.db, args.names)
    print(f"label set: {', '.join(labels)}")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        changed = rename_label(project.db, args.old, args.new)
        labels = get_labels(project.db)
    print(f"renamed {args.old} to {args.new} ({changed} label rows); label set: {', '.join(labels)}")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        moved = merge_labels(project.db, args.source, args.target)
        labels = get_labels(project.db)
    print(f"merged {args.source} into {args.target} ({moved} label rows moved); label set: {', '.join(labels)}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        moved = delete_label(project.db, args.name, move_to=args.move_to)
        labels = get_labels(project.db)
    moved_text = f" ({moved} label rows moved to {args.move_to})" if args.move_to else ""
    print(f"deleted {args.name}{moved_text}; label set: {', '.join(labels)}")
    return 0
