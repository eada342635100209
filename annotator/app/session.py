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

from annotator.app.keys import escape_markdown
from annotator.config import resolve_project_dir
from annotator.services.auth import User, current_user, has_role
from annotator.services.projects import Project, open_project
from annotator.services.queue import release
from annotator.services.settings import setting_problems

USER_KEY = "ll_user"
STAMP_KEY = "ll_user_stamp"  # the credential stamp the user signed in under
NOTICE_KEY = "ll_notice"     # why the session ended, shown once on the sign-in page
ITEM_KEY = "ll_item"  # the labeling page's current item (a queue.ServedItem)
PROJECT_KEY = "ll_project"
GO_HOME_KEY = "ll_go_home"
SETTINGS_WARNED_KEY = "ll_settings_warned"
SESSION_ENDED = (
    "You were signed out: your password, your role or your account changed since you signed in. "
    "Sign in again."
)


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
    """Remember ``user`` and the credential stamp they signed in under."""
    st.session_state[USER_KEY] = user.name
    st.session_state[STAMP_KEY] = user.stamp
    st.session_state[GO_HOME_KEY] = True


def sign_out(notice: str | None = None) -> None:
    """Give back the leased text, forget everything of this session but its connection, go to sign-in.

    ``notice`` is shown once on the sign-in page (why the session ended).
    """
    name, item = st.session_state.get(USER_KEY), st.session_state.get(ITEM_KEY)
    if name and item is not None:
        release(project(), name, item.example_id)
    for key in list(st.session_state.keys()):
        if key != PROJECT_KEY and str(key).startswith("ll_"):
            del st.session_state[key]
    st.session_state[GO_HOME_KEY] = True
    if notice:
        st.session_state[NOTICE_KEY] = notice


def keep_own_session(name: str, stamp: str | None) -> None:
    """The signed-in user just changed their OWN credentials here (``stamp`` is the new one):
    this session goes on under it; their other sessions end at their next action."""
    if stamp and name == st.session_state.get(USER_KEY):
        st.session_state[STAMP_KEY] = stamp


def take_go_home() -> bool:
    """True once after a sign-in or sign-out: main.py then opens the first page of the menu."""
    return bool(st.session_state.pop(GO_HOME_KEY, False))


def take_notice() -> str | None:
    """Why the last session ended, once (the sign-in page shows it)."""
    return st.session_state.pop(NOTICE_KEY, None)


def signed_in_user() -> User | None:
    """The session's user, re-checked against the store on every call.

    None when signed out; a session whose user was removed or deactivated, or
    whose credentials changed since sign-in (password, role), is signed out
    here with a notice.
    """
    name = st.session_state.get(USER_KEY)
    if not name:
        return None
    user = current_user(project(), name, st.session_state.get(STAMP_KEY))
    if user is None:
        sign_out(SESSION_ENDED)
    return user


def _valid_or_rerun() -> User | None:
    """signed_in_user(); when that just ended the session, rerun the whole app (the sign-in page).

    In an action callback the rerun replaces the fragment rerun that would
    follow (a fragment would otherwise go on drawing, and leasing, for a user
    who is gone); in a fragment it leaves the fragment for a full run.
    """
    was_signed_in = bool(st.session_state.get(USER_KEY))
    user = signed_in_user()
    if user is None and was_signed_in:
        st.rerun()
    return user


def authorized(role: str) -> User | None:
    """For action callbacks and fragments: the user if their session is still valid and holds ``role``.

    Otherwise None (do nothing); a session that is no longer valid is signed
    out and the app rerun to the sign-in page.
    """
    user = _valid_or_rerun()
    return user if has_role(user, role) else None


def require_page_role(role: str) -> User:
    """Top of every page (and fragment): stop unless the session is still valid and holds ``role``."""
    user = _valid_or_rerun()
    if user is None:
        st.warning(take_notice() or "Sign in first.")
        st.stop()
    if not has_role(user, role):
        st.error(f"This page needs the {role} role; you are signed in as {user.role}.")
        st.stop()
    return user


def warn_about_settings_once() -> None:
    """Tell a lead, once per session, about stored settings that are invalid (their defaults are in use)."""
    if st.session_state.get(SETTINGS_WARNED_KEY):
        return
    st.session_state[SETTINGS_WARNED_KEY] = True
    problems = setting_problems(project().db)
    if problems:
        lines = "  \n".join(escape_markdown(message) for message in problems.values())
        st.warning(f"{lines}  \nSet them again on the Project page or with labelloop settings KEY VALUE.")
