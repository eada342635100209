"""What every page shares: the project handle, the signed-in user, the role check, the session cookie.

Connections: each browser session opens its own SQLite connection, kept in
``st.session_state``. A session's script runs one at a time (reruns and
fragment runs are serialised per session), so its connection is never used by
two threads at once, while separate sessions read and write in parallel under
SQLite's own WAL locking (busy timeout + ``BEGIN IMMEDIATE``). The process-wide
part, cached with ``st.cache_resource``, only resolves and migrates the
project folder once.

Sign-in: the session lives on the server (:mod:`annotator.services.sessions`, which
argues the design); this browser session keeps its token in ``st.session_state`` and
the browser keeps it in a cookie, so a reload, a new tab or a typed URL (a new
Streamlit session) signs in again from ``st.context.cookies``. The token is checked
against the store on every page load and every action.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import streamlit as st

from annotator.app import page_scripts
from annotator.app.keys import escape_markdown
from annotator.config import resolve_project_dir
from annotator.services.auth import User, has_role
from annotator.services.projects import Project, open_project
from annotator.services.queue import release
from annotator.services.sessions import end_session, resume_session, seconds_left, session_user, start_session
from annotator.services.settings import setting_problems

TOKEN_KEY = "ll_token"       # the session token (the cookie's value)
USER_KEY = "ll_user"         # the signed-in user's name (the token is what counts)
RESUMED_KEY = "ll_resume_tried"  # this browser session already looked for a cookie
CLEAR_COOKIE_KEY = "ll_clear_cookie"
WANTED_KEY = "ll_wanted"     # (url_path, query params) opened before signing in
NOTICE_KEY = "ll_notice"     # why the session ended, shown once on the sign-in page
ITEM_KEY = "ll_item"  # the labeling page's current item (a queue.ServedItem)
EXPLORE_CARD_KEY = "ll_explore_card"  # the Explore page's open text: (ServedItem, the search that found it)
CARD_KEYS = {"label": ITEM_KEY, "explore": EXPLORE_CARD_KEY}  # page (url_path) -> the text its card holds
PROJECT_KEY = "ll_project"
GO_HOME_KEY = "ll_go_home"
SETTINGS_WARNED_KEY = "ll_settings_warned"
KEEP_ON_SIGN_OUT = (PROJECT_KEY, RESUMED_KEY)
SESSION_ENDED = (
    "You were signed out: you signed out in another tab, the session expired, or your password, "
    "your role or your account changed. Sign in again."
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


def cookie_name() -> str:
    """The session cookie of this project (two projects served on one host keep theirs apart:
    cookies do not tell ports apart)."""
    return "labelloop_" + hashlib.sha256(str(project_dir()).encode()).hexdigest()[:12]


def token() -> str | None:
    """This browser session's session token, if signed in."""
    return st.session_state.get(TOKEN_KEY)


def sign_in_as(user: User) -> None:
    """Start a session for ``user`` (just signed in) and give its token to the browser."""
    st.session_state[TOKEN_KEY] = start_session(project(), user, client=st.context.ip_address)
    st.session_state[USER_KEY] = user.name
    st.session_state.pop(CLEAR_COOKIE_KEY, None)
    st.session_state[GO_HOME_KEY] = True


def sign_out(notice: str | None = None) -> None:
    """End the session on the server, give back the leased text, forget everything of this
    browser session but its connection, and go to sign-in.

    ``notice`` is shown once on the sign-in page (why the session ended).
    """
    give_back_items()
    end_session(project(), st.session_state.get(TOKEN_KEY))
    for key in list(st.session_state.keys()):
        if key not in KEEP_ON_SIGN_OUT and str(key).startswith("ll_"):
            del st.session_state[key]
    st.session_state[GO_HOME_KEY] = True
    st.session_state[CLEAR_COOKIE_KEY] = True
    if notice:
        st.session_state[NOTICE_KEY] = notice


def give_back_items(keep: str | None = None) -> None:
    """Release the text of every card no longer on screen (all but page ``keep``'s), so others get it."""
    name = st.session_state.get(USER_KEY)
    for page, key in CARD_KEYS.items():
        held = st.session_state.pop(key, None) if page != keep else None
        item = held[0] if isinstance(held, tuple) else held
        if item is not None and name:
            release(project(), name, item.example_id)


def take_go_home() -> bool:
    """True once after a sign-in or sign-out: main.py then opens the first page of the menu."""
    return bool(st.session_state.pop(GO_HOME_KEY, False))


def ended_by_server() -> bool:
    """The session just ended without a sign-out (expired, or its user's password, role or status
    changed): the sign-in page is about to say why."""
    return bool(st.session_state.get(NOTICE_KEY))


def take_notice() -> str | None:
    """Why the last session ended, once (the sign-in page shows it)."""
    return st.session_state.pop(NOTICE_KEY, None)


def remember_wanted(url_path: str, query: dict[str, Any]) -> None:
    """A page was opened before signing in: open it (with its query) once signed in."""
    st.session_state[WANTED_KEY] = (url_path, query)


def take_wanted() -> tuple[str, dict[str, Any]] | None:
    return st.session_state.pop(WANTED_KEY, None)


def _resume() -> User | None:
    """Once per browser session: sign in again from the session cookie, if it names a valid session."""
    st.session_state[RESUMED_KEY] = True
    cookie = st.context.cookies.get(cookie_name())
    if not isinstance(cookie, str) or not cookie:
        return None
    user = resume_session(project(), cookie)
    if user is None:
        st.session_state[CLEAR_COOKIE_KEY] = True  # expired or ended: the browser can forget it
        return None
    st.session_state[TOKEN_KEY] = cookie
    st.session_state[USER_KEY] = user.name
    return user


def signed_in_user() -> User | None:
    """The session's user, re-checked against the store on every call.

    None when signed out; a session that ended (signed out elsewhere, expired, its user
    removed or deactivated, its credentials changed since sign-in) is signed out here with
    a notice.
    """
    current = st.session_state.get(TOKEN_KEY)
    if not current:
        return None if st.session_state.get(RESUMED_KEY) else _resume()
    user = session_user(project(), current)
    if user is None:
        sign_out(SESSION_ENDED)
    return user


def cookie_script() -> str | None:
    """The script that gives the browser this session's cookie, or takes it away after a sign-out
    (None: nothing to do). Its life is rounded down to the minute, so the script (an element)
    stays the same from one run to the next."""
    current = st.session_state.get(TOKEN_KEY)
    if current:
        left = int(seconds_left(project(), current)) // 60 * 60
        return page_scripts.cookie_script(cookie_name(), current, left) if left > 0 else None
    if st.session_state.get(CLEAR_COOKIE_KEY):
        return page_scripts.cookie_script(cookie_name(), "", 0)
    return None


def _valid_or_rerun() -> User | None:
    """signed_in_user(); when that just ended the session, rerun the whole app (the sign-in page).

    In an action callback the rerun replaces the fragment rerun that would
    follow (a fragment would otherwise go on drawing, and leasing, for a user
    who is gone); in a fragment it leaves the fragment for a full run.
    """
    was_signed_in = bool(st.session_state.get(TOKEN_KEY))
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
