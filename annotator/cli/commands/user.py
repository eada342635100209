"""labelloop user add|list|remove|passwd — manage who can sign in."""

from __future__ import annotations

import argparse
import getpass
import sys

from annotator.cli.options import add_project_option
from annotator.errors import UserError
from annotator.services.projects import open_project
from annotator.services.users import ROLES, add_user, change_user, list_users, remove_user


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "user",
        help="add, list, deactivate users or change a password",
        description="Manage the project's users. Passwords come from a hidden prompt or stdin, "
        "never from the command line.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a user", description="Add a user with a role and a password.")
    add.add_argument("name", metavar="NAME", help="the user's sign-in name")
    add.add_argument("--role", choices=ROLES, required=True, help="annotator (labels) or lead (everything)")
    _password_option(add)
    add_project_option(add)
    add.set_defaults(func=run_add)

    show = actions.add_parser("list", help="list users", description="List users with role and status.")
    add_project_option(show)
    show.set_defaults(func=run_list)

    remove = actions.add_parser(
        "remove", help="deactivate a user",
        description="Deactivate a user: they can no longer sign in; their labels keep their name.",
    )
    remove.add_argument("name", metavar="NAME", help="the user to deactivate")
    add_project_option(remove)
    remove.set_defaults(func=run_remove)

    passwd = actions.add_parser("passwd", help="set a user's password", description="Set a new password for a user.")
    passwd.add_argument("name", metavar="NAME", help="the user")
    _password_option(passwd)
    add_project_option(passwd)
    passwd.set_defaults(func=run_passwd)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true",
        help="read the password from the first line of standard input instead of a prompt",
    )


def read_password(args: argparse.Namespace) -> tuple[str, str | None]:
    """The new password from stdin (one line), or from a hidden prompt asked twice (with the repeat).

    An input that ends before a password was typed (``< /dev/null``, a closed pipe) is a
    one-line UserError, not a traceback."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), None
    try:
        password = getpass.getpass("password: ")
        return password, getpass.getpass("repeat password: ")
    except EOFError:
        sys.stderr.write("\n")  # after the prompt, so the error has a line of its own
        raise UserError("no password: the input ended before one was typed "
                        "(to give it on standard input, use --password-stdin)") from None


def run_add(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        password, repeat = read_password(args)
        add_user(project.db, args.name, args.role, password, repeat=repeat)
    print(f"added {args.role} {args.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        users = list_users(project.db)
    if not users:
        print("no users yet: add one with labelloop user add NAME --role lead")
    for user in users:
        status = "active" if user["active"] else "inactive"
        print(f"{user['name']}\t{user['role']}\t{status}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        remove_user(project.db, args.name)
    print(f"deactivated {args.name}; their open sessions end at their next action")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        password, repeat = read_password(args)
        change_user(project.db, args.name, password=password, repeat=repeat)
    print(f"changed the password of {args.name}; their open sessions end at their next action")
    return 0
