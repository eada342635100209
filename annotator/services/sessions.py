"""Sign-in sessions that survive a reload and a new tab, and that the server can end at once.

How it works: signing in creates a session row on the server (``sessions``: the user, the
credential stamp they signed in under, when it expires) and gives the browser a random
256-bit token, which the app keeps in a cookie (``SameSite=Strict``, ``Path=/``, ``Secure``
over HTTPS, ``Max-Age`` = the session's life). A new browser session (a reload, a new tab, a
typed URL) sends that cookie with its WebSocket handshake; Streamlit shows it to the app as
``st.context.cookies``, and :func:`session_user` turns it back into the user, re-checked
against the store. The same check runs on every page load and every action.

A session is valid only while all of these hold, so each of them ends it at the next action:

* its row exists: signing out deletes it, and so do a password reset, a role change and a
  deactivation (:func:`annotator.services.users.change_user`, in the same transaction as the
  change: "at once", even before the stamp is compared);
* it has not expired (``session_hours``, a project setting; 12 hours by default);
* the user exists and is active, and their credential stamp (``users.credential_stamp``,
  renewed by every change of password, role or status) is still the one it was issued under.

Why this and not something else (Streamlit 1.67, run by ``streamlit run``):

* Streamlit has no way to set a cookie from the server: the script talks to the browser over
  the WebSocket only, ``st.context.cookies`` is read-only, and ``st.login`` sets its HttpOnly
  cookie for OpenID Connect providers only. An HttpOnly cookie would need an HTTP route of our
  own, which ``streamlit run`` does not offer (``st.App``, the ASGI server, would: worth moving
  to when ``labelloop serve`` runs it). So the app sets the cookie with a few lines of
  JavaScript (:mod:`annotator.app.session`), and it is readable by scripts in the page. What
  keeps that acceptable: the app shows every text, label and name as text, never as HTML or
  markdown (no script of anyone else's runs in the page), the token alone is worth nothing
  once the session is ended on the server, and it expires.
* A token in the URL's query parameters (``?session=...``) survives a reload too, but not a
  new tab or a typed address, and it leaks: into the browser history, into links copied to a
  colleague, into screenshots. A cookie is sent only to this site, by this browser.
* A signed, self-contained token (an HMAC over user, stamp and expiry) cannot be ended by the
  server before it expires, except through the stamp, which would end every session of the
  user at once (signing out of one tab would sign out the others). The server-side row can be
  deleted alone. The random token is unguessable, so it needs no signature: the table keeps
  only its SHA-256, and a copy of the database grants no session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from annotator.services.auth import User
from annotator.services.projects import Project
from annotator.services.settings import get_setting
from annotator.store import sessions as session_store
from annotator.store.users import get_user

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 100  # a cookie value longer than this is not one of ours


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(project: Project, user: User, *, client: str | None = None, now: float | None = None) -> str:
    """A new session for ``user`` (just signed in); the token for the browser."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(TOKEN_BYTES)
    hours = float(get_setting(project.db, "session_hours"))
    client = client.strip()[:100] if isinstance(client, str) else ""
    session_store.insert_session(project.db, token_hash(token), user.name, user.stamp, now, now + hours * 3600,
                                 client or None)
    return token


def session_user(project: Project, token: str | None, *, now: float | None = None) -> User | None:
    """The user of the session ``token`` names, if it is still valid (see the module docstring)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    now = time.time() if now is None else now
    row = session_store.get_session(project.db, token_hash(token))
    if row is None or row["expires_at"] <= now:
        return None
    user = get_user(project.db, row["user"])
    if user is None or not user["active"] or not hmac.compare_digest(user["credential_stamp"], row["stamp"]):
        return None
    return User(name=user["name"], role=user["role"], stamp=user["credential_stamp"])


def resume_session(project: Project, token: str | None, *, now: float | None = None) -> User | None:
    """:func:`session_user` for a new browser session (a reload, a new tab): notes when it was last used."""
    now = time.time() if now is None else now
    user = session_user(project, token, now=now)
    if user is not None:
        session_store.touch_session(project.db, token_hash(token), now)
    return user


def seconds_left(project: Project, token: str | None, *, now: float | None = None) -> float:
    """How long the session has to live (0 when it is gone): the cookie's Max-Age."""
    if not isinstance(token, str) or not token:
        return 0.0
    row = session_store.get_session(project.db, token_hash(token))
    now = time.time() if now is None else now
    return max(0.0, row["expires_at"] - now) if row else 0.0


def end_session(project: Project, token: str | None) -> bool:
    """Sign out: the session is void from now on, in every tab that shares it."""
    if not isinstance(token, str) or not token:
        return False
    return session_store.delete_session(project.db, token_hash(token))
