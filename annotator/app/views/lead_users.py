"""Users page: add a user, reset a password, change a role, deactivate or reactivate.

UI only: annotator.services.users does the work and holds the rules (the last
active lead stays; a lead cannot demote or deactivate themselves). Every action
re-checks that the signed-in user is still a lead. Any change ends the user's
open sessions at once (annotator.services.users); a lead changing their own
password keeps this one.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotator.app import session
from annotator.app.keys import escape_markdown
from annotator.errors import LabelloopError
from annotator.services.users import ROLES, add_user, change_user, list_users

FLASH_KEY = "ll_users_flash"

user = session.require_page_role("lead")
project = session.project()


def run_action(action, success: str) -> None:
    """Run ``action()`` if the session still belongs to a lead; remember the outcome for the page."""
    lead = session.authorized("lead")
    if lead is None:
        return
    try:
        action(lead)
    except LabelloopError as error:
        st.session_state[FLASH_KEY] = ("error", str(error))
    else:
        st.session_state[FLASH_KEY] = ("success", success)


st.title("Users")
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    getattr(st, flash[0])(escape_markdown(flash[1]))  # plain text: a user name is never markdown

users = list_users(project.db)
frame = pd.DataFrame(users, columns=["name", "role", "active", "created_at"])
frame["active"] = frame["active"].astype(bool)
frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
st.dataframe(frame, hide_index=True, width="stretch")
names = [u["name"] for u in users]

add_tab, password_tab, role_tab, active_tab = st.tabs(["Add", "Reset password", "Role", "Deactivate"])

with add_tab:
    with st.form("ll_users_add", clear_on_submit=True):
        name = st.text_input("Name", key="ll_users_add_name")
        role = st.selectbox("Role", ROLES, key="ll_users_add_role")
        password = st.text_input("Password", type="password", key="ll_users_add_password")
        repeat = st.text_input("Repeat password", type="password", key="ll_users_add_repeat")
        if st.form_submit_button("Add user"):
            run_action(
                lambda lead: add_user(project.db, name, role, password, repeat=repeat),
                f"Added {role} {name}.",
            )
            st.rerun()

with password_tab:
    with st.form("ll_users_password", clear_on_submit=True):
        name = st.selectbox("User", names, key="ll_users_password_name")
        password = st.text_input("New password", type="password", key="ll_users_password_new")
        repeat = st.text_input("Repeat password", type="password", key="ll_users_password_repeat")
        if st.form_submit_button("Set password"):
            def set_password(lead, name=name, password=password, repeat=repeat):
                change_user(project.db, name, password=password, repeat=repeat, acting=lead.name,
                            keep_session=session.token())

            run_action(set_password, f"New password set for {name}.")
            st.rerun()

with role_tab:
    with st.form("ll_users_role"):
        name = st.selectbox("User", names, key="ll_users_role_name")
        role = st.selectbox("New role", ROLES, key="ll_users_role_role")
        if st.form_submit_button("Change role"):
            def change(lead, name=name, role=role):
                change_user(project.db, name, role=role, acting=lead.name, keep_session=session.token())

            run_action(change, f"{name} is now {role}.")
            st.rerun()

with active_tab:
    with st.form("ll_users_active"):
        name = st.selectbox("User", names, key="ll_users_active_name")
        active = st.radio("Status", ["deactivate", "reactivate"], key="ll_users_active_choice", horizontal=True)
        st.caption("A deactivated user can no longer sign in; their labels keep their name.")
        if st.form_submit_button("Apply"):
            def set_active(lead, name=name, active=active):
                change_user(project.db, name, active=(active == "reactivate"), acting=lead.name)

            run_action(set_active, f"{name}: {active}d.")
            st.rerun()
