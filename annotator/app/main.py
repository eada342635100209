"""Labelloop's Streamlit entrypoint: ``streamlit run annotator/app/main.py`` (LABELLOOP_PROJECT set).

``labelloop serve`` runs this. The menu lists only the pages the signed-in
user's role allows (see navigation.py); the others have an address too, and each
page checks the role again itself. Opened signed out, any page's address shows
the sign-in form first and opens once signed in (deep links); a reload or a new
tab stays signed in (session.py).
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
pages = [
    st.Page(navigation.page_path(spec), title=spec.title, icon=spec.icon, url_path=spec.url_path,
            default=(index == 0), visibility="visible" if index < len(shown) else "hidden")
    for index, spec in enumerate(specs)
]
current = st.navigation(pages, position="sidebar" if user else "hidden")
if user is None and current is not pages[0]:
    # A page's address opened signed out: sign in first, then open it (with its query, e.g. ?item=).
    session.remember_wanted(current.url_path, st.query_params.to_dict())
    st.switch_page(pages[0])
if session.take_go_home() and user is not None:  # just signed in: the page asked for, else home
    wanted = session.take_wanted()
    target = pages[0]
    if wanted is not None:
        target = next((page for page in pages[: len(shown)] if page.url_path == wanted[0]), pages[0])
    if target is not current or (wanted and wanted[1]):
        st.switch_page(target, query_params=wanted[1] if wanted and target is not pages[0] else None)
# By the page itself, not current.url_path: the first page of the menu (Label, for annotators) has url_path "".
on_label_page = any(page is current and spec.url_path == navigation.LABEL_URL_PATH for page, spec in zip(pages, specs))
if user is not None and not on_label_page:
    session.give_back_item()  # left the Label page: its text goes back to the queue

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
