"""Sign-in page: one form; the same message for a wrong name or a wrong password.

The throttle counts per client address: the address Streamlit saw the browser
connect from (behind a reverse proxy on this machine, the address the proxy
forwarded; a browser on this machine has none and counts as "local").
"""

from __future__ import annotations

import streamlit as st

from annotator.app import page_scripts, session
from annotator.errors import AuthError
from annotator.services.auth import sign_in

ATTEMPTS_KEY = "ll_sign_in_attempts"

st.title("Labelloop")
st.caption("Sign in to label.")
notice = session.take_notice()
if notice:
    st.info(notice)

with st.form("ll_sign_in", enter_to_submit=True, clear_on_submit=True):
    name = st.text_input("User name", key="ll_sign_in_name", autocomplete="username")
    password = st.text_input("Password", type="password", key="ll_sign_in_password",
                             autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    try:
        user = sign_in(session.project(), name, password, client=st.context.ip_address)
    except AuthError as error:
        st.error(str(error))
        st.session_state[ATTEMPTS_KEY] = st.session_state.get(ATTEMPTS_KEY, 0) + 1
    else:
        session.sign_in_as(user)
        st.rerun()

# Keyboard first: the cursor starts in the name field, and goes back there after a
# failed attempt (the attempt number makes it a new element, so the script runs again).
st.html(page_scripts.focus_script(".st-key-ll_sign_in_name input", st.session_state.get(ATTEMPTS_KEY, 0)),
        unsafe_allow_javascript=True)
