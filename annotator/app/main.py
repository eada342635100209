"""Labelloop's Streamlit entrypoint: ``streamlit run annotator/app/main.py`` (LABELLOOP_PROJECT set).

``labelloop serve`` runs this. The menu lists only the pages the signed-in
user's role allows (see navigation.py); each page checks the role again itself.
"""

from __future__ import annotations

import streamlit as st

from annotator.app import navigation, session

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

if user is not None:
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** ({user.role})")
        st.button("Sign out", icon=":material/logout:", key="ll_sign_out", on_click=session.sign_out)

current.run()
