"""Labelloop's Streamlit entrypoint: ``streamlit run annotator/app/main.py`` (LABELLOOP_PROJECT set).

``labelloop serve`` runs this. The menu lists only the pages the signed-in
user's role allows (see navigation.py); the others have an address too, and each
page checks the role again itself. Opened signed out, any page's address shows
the sign-in form first and opens once signed in (deep links); a reload or a new
tab stays signed in (session.py). Signed in, "/" opens the role's home page (the
Dashboard for a lead, the Label page for an annotator), which keeps its own address.
"""

from __future__ import annotations

import sys

import streamlit as st

from annotator.app import navigation, session
from annotator.app.keys import escape_markdown

# The script thread and the server's event loop share the GIL; with Python's default
# 5 ms switch interval each message to the browser can wait up to 5 ms for the loop.
# At 1 ms the key-to-next-text time of the labeling page fell from p50 145-156 ms to
# 99-100 ms in side-by-side runs on the shared 2-core box (timed in Chromium as
# scripts/measure_ui_latency.py does).
SWITCH_INTERVAL_SECONDS = 0.001
if sys.getswitchinterval() > SWITCH_INTERVAL_SECONDS:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
st.set_page_config(page_title="Labelloop", page_icon=":material/label:", layout="centered")

user = session.signed_in_user()
shown = navigation.pages_for(user)
specs = shown + navigation.hidden_pages_for(user)
by_path = {
    spec.url_path: st.Page(navigation.page_path(spec), title=spec.title, icon=spec.icon, url_path=spec.url_path,
                           default=user is None and index == 0,
                           visibility="visible" if index < len(shown) else "hidden")
    for index, spec in enumerate(specs)
}
# Signed in, no real page is the default: Streamlit serves the default page at "/" only, so the
# home page's own address (/dashboard for a lead, /label for an annotator) would be "Page not
# found", a dialog over the page. "/" is this hidden page instead, which opens the home page.
home = None if user is None else st.Page(lambda: None, title="Labelloop", url_path="home", default=True,
                                         visibility="hidden")
pages = list(by_path.values()) + ([home] if home is not None else [])
current = st.navigation(pages, position="sidebar" if user else "hidden")
moved = session.take_go_home()  # just signed in or out
if user is None:
    if current is not by_path[navigation.SIGN_IN_PAGE.url_path]:
        # A page's address opened signed out, or a session the server ended on this page: sign in
        # first, then open it (with its query). Signed out by hand: the next sign-in, maybe
        # someone else's, starts at its own home page.
        if not moved or session.ended_by_server():
            session.remember_wanted(current.url_path, st.query_params.to_dict())
        st.switch_page(by_path[navigation.SIGN_IN_PAGE.url_path])
else:
    wanted = session.take_wanted() if moved else None
    target, query = current, None
    if current is home or moved:
        target, query = by_path[shown[0].url_path], (st.query_params.to_dict() if current is home else None)
    if wanted is not None and wanted[0] in {spec.url_path for spec in shown}:
        target, query = by_path[wanted[0]], wanted[1]
    if target is not current or query:
        st.switch_page(target, query_params=query or None)
if user is not None:
    session.give_back_items(keep=current.url_path)  # a card left behind: its text goes back to the queue

if user is not None and user.is_lead:
    session.warn_about_settings_once()

cookie = session.cookie_script()
if user is not None:
    with st.sidebar:
        st.caption(f"Signed in as **{escape_markdown(user.name)}** ({user.role})")
        st.button("Sign out", icon=":material/logout:", key="ll_sign_out", on_click=session.sign_out)
        if cookie:
            st.html(cookie, unsafe_allow_javascript=True)
elif cookie:
    st.html(cookie, unsafe_allow_javascript=True)

current.run()
