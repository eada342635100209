"""Sign-in page: one form; the same message for a wrong name or a wrong password."""

from __future__ import annotations

import streamlit as st

from annotator.app import session
from annotator.auth import sign_in
from annotator.errors import AuthError

st.title("Labelloop")
st.caption("Sign in to label.")

with st.form("ll_sign_in", enter_to_submit=True, clear_on_submit=True):
    name = st.text_input("User name", key="ll_sign_in_name", autocomplete="username")
    password = st.text_input("Password", type="password", key="ll_sign_in_password",
                             autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    try:
        user = sign_in(session.project(), name, password)
    except AuthError as error:
        st.error(str(error))
    else:
        session.sign_in_as(user)
        st.rerun()
