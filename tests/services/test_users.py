"""annotator.services.users: the lead rules, the same for the Users page and the command line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_backends  # each test using `project` runs on SQLite and on PostgreSQL


def test_lead_rules_hold_for_every_front_end(project):
    """The rules live in the users service: the page passes the acting lead, the CLI passes none."""
    from annotator.errors import UserError
    from annotator.services.passwords import TEST_ONLY_COST
    from annotator.services.users import add_user, change_user, get_user

    add_user(project.db, "ann", "annotator", "password-1", cost=TEST_ONLY_COST)
    add_user(project.db, "lead1", "lead", "password-1", cost=TEST_ONLY_COST)
    add_user(project.db, "lead2", "lead", "password-1", cost=TEST_ONLY_COST)
    with pytest.raises(UserError, match="cannot demote yourself"):
        change_user(project.db, "lead1", role="annotator", acting="lead1")
    with pytest.raises(UserError, match="cannot deactivate yourself"):
        change_user(project.db, "lead1", active=False, acting="lead1")
    change_user(project.db, "lead2", role="annotator", acting="lead1")  # another lead may
    with pytest.raises(UserError, match="last active lead"):
        change_user(project.db, "lead1", role="annotator")
    assert get_user(project.db, "lead1")["role"] == "lead"
    with pytest.raises(UserError, match="differ"):
        change_user(project.db, "ann", password="password-2", repeat="password-3")
    with pytest.raises(UserError, match="no user"):
        change_user(project.db, "nobody", active=True)
