"""What every page shares: the project handle, the signed-in user, the role check.

Connections: each browser session opens its own SQLite connection, kept in
``st.session_state``. A session's script runs one at a time (reruns and
fragment runs are serialised per session), so its connection is never used by
two threads at once, while separate sessions read and write in parallel under
SQLite's own WAL locking (busy timeout + ``BEGIN IMMEDIATE``). The process-wide
part, cached with ``st.cache_resource``, only resolves and migrates the
project folder once.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from annotator.auth import User, current_user, has_role
from annotator.config import resolve_project_dir
from annotator.queue import release
from annotator.store import Project, open_project

USER_KEY = "ll_user"
ITEM_KEY = "ll_item"  # the labeling page's current item (a queue.ServedItem)
PROJECT_KEY = "ll_project"
GO_HOME_KEY = "ll_go_home"


@st.cache_resource(show_spinner=False)
def _checked_project_dir(folder: str) -> Path:
    """Open ``folder`` once per process to check and migrate it."""
    with open_project(folder):
        pass
    return Path(folder)


def project_dir() -> Path:
    """The project folder named by $LABELLOOP_PROJECT (checked once per process)."""
    return _checked_project_dir(str(resolve_project_dir(None).resolve()))


def project() -> Project:
    """This session's connection to the project."""
    opened = st.session_state.get(PROJECT_KEY)
    if opened is None:
        opened = open_project(project_dir(), check_same_thread=False)
        st.session_state[PROJECT_KEY] = opened
    return opened


def sign_in_as(user: User) -> None:
    st.session_state[USER_KEY] = user.name
    st.session_state[GO_HOME_KEY] = True


def sign_out() -> None:
    """Give back the leased text, forget everything of this session but its connection, go to sign-in."""
    name, item = st.session_state.get(USER_KEY), st.session_state.get(ITEM_KEY)
    if name and item is not None:
        release(project(), name, item.example_id)
    for key in list(st.session_state.keys()):
        if key != PROJECT_KEY and str(key).startswith("ll_"):
            del st.session_state[key]
    st.session_state[GO_HOME_KEY] = True


def take_go_home() -> bool:
    """True once after a sign-in or sign-out: main.py then opens the first page of the menu."""
    return bool(st.session_state.pop(GO_HOME_KEY, False))


def signed_in_user() -> User | None:
    """The session's user re-read from the store: None when signed out, removed or deactivated."""
    name = st.session_state.get(USER_KEY)
    if not name:
        return None
    user = current_user(project(), name)
    if user is None:
        sign_out()
    return user


def authorized(role: str) -> User | None:
    """For callbacks: the signed-in user if they hold ``role`` now, else None (do nothing)."""
    user = signed_in_user()
    return user if has_role(user, role) else None


def require_page_role(role: str) -> User:
    """Top of every page: stop the page unless the signed-in user holds ``role``."""
    user = signed_in_user()
    if user is None:
        st.warning("Sign in first.")
        st.stop()
    if not has_role(user, role):
        st.error(f"This page needs the {role} role; you are signed in as {user.role}.")
        st.stop()
    return user
