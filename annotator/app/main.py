"""Labelloop's Streamlit entrypoint: ``streamlit run annotator/app/main.py`` (LABELLOOP_PROJECT set).

``labelloop serve`` runs this. The menu lists only the pages the signed-in
user's role allows (see navigation.py); each page checks the role again itself.
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
pages = [
    st.Page(
        navigation.page_path(spec), title=spec.title, icon=spec.icon,
        url_path=spec.url_path, default=(index == 0),
    )
    for index, spec in enumerate(navigation.pages_for(user))
]
current = st.navigation(pages, position="sidebar" if user else "hidden")
if session.take_go_home() and current is not pages[0]:
    st.switch_page(pages[0])  # after sign-in or sign-out: the page shown before is not in the menu

if user is not None and user.is_lead:
    session.warn_about_settings_once()

if user is not None:
    with st.sidebar:
        st.caption(f"Signed in as **{escape_markdown(user.name)}** ({user.role})")
        st.button("Sign out", icon=":material/logout:", key="ll_sign_out", on_click=session.sign_out)

current.run()
