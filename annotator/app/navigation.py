"""Which pages exist and which role may open each.

To add a page, add ONE line to the matching list below; ``main.py`` builds the
navigation from these lists and shows a signed-in user only the pages their
role allows. The other pages are registered too, hidden, so that every page has
an address (``/dashboard``, ``/review``, ...): opened signed out, it asks to sign
in first and opens after; opened by a role that may not see it, the page refuses
(every page checks the role itself at its top, ``session.require_page_role``:
hiding a page from the menu is not access control).

A lead lands on the Dashboard, an annotator on the Label page (``HOME``; "/" opens
it). A page holds a text only while its card is on screen (the Label page's, a text
opened on Explore: ``session.CARD_KEYS``); leaving the page gives it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annotator.services.auth import User, has_role

# Not named "pages": Streamlit runs a "pages" folder beside the entry script as an old-style
# multipage app until st.navigation first runs in the process, so /label on a fresh server (and
# every AppTest run) would run views/label.py alone, without main.py's sign-in and deep links.
PAGES_DIR = Path(__file__).resolve().parent / "views"


@dataclass(frozen=True)
class PageSpec:
    file: str          # a file in annotator/app/views/
    title: str
    icon: str
    role: str          # the least role that may open the page
    url_path: str


SIGN_IN_PAGE = PageSpec("sign_in.py", "Sign in", ":material/login:", "", "sign-in")

ANNOTATOR_PAGES: list[PageSpec] = [
    PageSpec("label.py", "Label", ":material/label:", "annotator", "label"),
    PageSpec("explore.py", "Explore", ":material/search:", "annotator", "explore"),
]

# ---- Lead pages: one line each, file annotator/app/views/lead_<name>.py ----
LEAD_PAGES: list[PageSpec] = [
    PageSpec("lead_dashboard.py", "Dashboard", ":material/monitoring:", "lead", "dashboard"),
    PageSpec("lead_review.py", "Review", ":material/rule:", "lead", "review"),
    PageSpec("lead_export.py", "Export", ":material/download:", "lead", "export"),
    PageSpec("lead_users.py", "Users", ":material/group:", "lead", "users"),
    PageSpec("lead_project.py", "Project", ":material/settings:", "lead", "project"),
]
# ---------------------------------------------------------------------------


HOME = {"lead": "dashboard", "annotator": "label"}  # the page each role lands on (its url_path)


def pages_for(user: User | None) -> list[PageSpec]:
    """The pages ``user`` may see, their home page first; the sign-in page alone when signed out."""
    if user is None:
        return [SIGN_IN_PAGE]
    allowed = [spec for spec in ANNOTATOR_PAGES + LEAD_PAGES if has_role(user, spec.role)]
    home = HOME.get(user.role)
    return sorted(allowed, key=lambda spec: spec.url_path != home)  # stable: the rest keep their order


def hidden_pages_for(user: User | None) -> list[PageSpec]:
    """Every other page: registered without a menu entry, so its address opens it (and it refuses)."""
    shown = {spec.url_path for spec in pages_for(user)}
    return [spec for spec in ANNOTATOR_PAGES + LEAD_PAGES if spec.url_path not in shown]


def page_path(spec: PageSpec) -> Path:
    return PAGES_DIR / spec.file


def page_for(url_path: str) -> Path:
    """The file of the page at ``url_path`` (for st.page_link and st.switch_page)."""
    return page_path(next(spec for spec in ANNOTATOR_PAGES + LEAD_PAGES if spec.url_path == url_path))
