"""The few lines of browser JavaScript the labeling page needs (st.html, run in the page).

Streamlit's own ``shortcut=`` binds one key to each button; these scripts add
what it cannot do:

* the in-flight guard: after a label, skip or undo key, further action keys
  are swallowed until the card (message, text, suggestion) changes, so a double
  press (or a held key) never labels a text nobody has read yet;
* ``/`` focuses the label filter box (Streamlit shortcuts take no punctuation),
  Escape leaves it;
* focusing an input once it is on screen.

Every script installs its listeners once per browser page and only refreshes
its settings on later runs.
"""

from __future__ import annotations

import json

GUARD_TIMEOUT_MS = 10_000  # a guard never outlives this, even if the card does not change

_KEYBOARD = """<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  const win = doc.defaultView || window;
  doc.llActionKeys = new Set(%(keys)s);
  if (doc.llKeyboardInstalled) { return; }
  doc.llKeyboardInstalled = true;
  const TEXT = '.st-key-ll_text [data-testid="stText"]';
  // textContent, not innerText: reading it forces no layout while React renders.
  const snapshot = () => {
    const card = doc.querySelector('.st-key-ll_text');
    return card ? card.textContent : '';
  };
  const guard = {pending: false, seen: null, timer: null};
  const release = () => { guard.pending = false; clearTimeout(guard.timer); };
  new MutationObserver(() => {
    if (guard.pending && snapshot() !== guard.seen) { release(); }
  }).observe(doc.body, {subtree: true, childList: true, characterData: true});
  const typingIn = (target) => target && (target.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  win.addEventListener('keydown', function (event) {
    const typing = typingIn(event.target);
    if (event.key === '/' && !typing) {
      const box = doc.querySelector('.st-key-ll_filter input');
      if (box) { event.preventDefault(); box.focus(); }
      return;
    }
    if (event.key === 'Escape' && typing && event.target.closest('.st-key-ll_filter')) {
      event.target.blur();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (!doc.llActionKeys.has(event.key.toLowerCase()) || !doc.querySelector(TEXT)) { return; }
    if (guard.pending || event.repeat) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    guard.pending = true;
    guard.seen = snapshot();
    guard.timer = setTimeout(release, %(timeout)d);
  }, true);
})();
</script>"""

_FOCUS = """<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  let tries = 0;
  const focus = () => {
    const box = doc.querySelector(%(selector)s);
    if (box) { if (!box.value) { box.focus(); } } else if (tries++ < 40) { setTimeout(focus, 25); }
  };
  focus();
})();
</script>"""

TEXT_STYLE = """<style>
.st-key-ll_text [data-testid="stText"] {
  font-size: 1.3rem; line-height: 1.55; white-space: pre-wrap; overflow-wrap: anywhere;
}
.st-key-ll_text { max-height: 55vh; overflow-y: auto; }
</style>"""


def keyboard_script(action_keys: list[str]) -> str:
    """The in-flight guard and the filter keys, for these one-key actions (labels, skip, undo)."""
    keys = sorted({key.lower() for key in action_keys if key})
    return _KEYBOARD % {"keys": json.dumps(keys), "timeout": GUARD_TIMEOUT_MS}


def focus_script(css_selector: str, nonce: object = "") -> str:
    """Focus the (empty) input matching ``css_selector`` once it exists.

    ``nonce`` changes the element so Streamlit runs the script again.
    """
    return f"<!-- {nonce} -->" + _FOCUS % {"selector": json.dumps(css_selector)}
