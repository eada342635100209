"""The few lines of browser JavaScript the labeling page needs (st.html, run in the page).

Streamlit's own ``shortcut=`` binds one key to each button; the keyboard script
adds what it cannot do. The card (message, text, suggestion) opens and closes
with a hidden marker holding the same drawing number; the label buttons are
drawn before the card, so when both markers agree, the card and the buttons
belong to the same text ("the card is ready").

* in-flight guard: after a label, skip or undo key (or a click on one of those
  buttons) acted, further action keys and clicks are held back until the card
  is drawn again (its closing marker changed); a held click is dropped. A
  second key before the new drawing begins is dropped (on a multi-label card,
  whose keys toggle labels, it waits instead); one pressed while it is
  being drawn waits for the card to be ready, then acts if the text it was
  pressed on is still the one on screen;
* read pause: for the project's ``read_pause_ms`` after the text changed, action
  keys and clicks on the card's buttons are dropped. The answer to a key can be
  on screen in well under 100 ms, sooner than the second press of a double
  press or a double click, which would otherwise label a text nobody has read.
  The first text after the browser loads the app is not paused;
* no lost key: a key pressed while the card is not ready, or that Streamlit did
  not act on (it loads its button code lazily and binds a shortcut only after
  the button is drawn, so on the first page the text can show a moment before
  any key works), is pressed on its button for the annotator as soon as the
  card is ready and the button is there: within REPLAY_MS, and only while the
  text the annotator saw when pressing it is still the one on screen;
* ``/`` focuses the label filter box (Streamlit shortcuts take no punctuation),
  Escape leaves it; Escape in the flag or comment box closes it (its Cancel button);
* a click on a card button leaves no focus on it, so Enter (accept the suggestion)
  never presses the button clicked last;
* focusing an input once it is on screen;
* the session cookie (:func:`cookie_script`): set after signing in, removed after signing out.

Every script installs its listeners once per browser page and only refreshes
its settings on later runs. st.html passes scripts through DOMPurify, which
drops a script whose text holds "<" before a letter, "/" or "!": keep such text
out of these scripts (tests/app/test_page_scripts.py checks).
"""

from __future__ import annotations

import json
import re

GUARD_TIMEOUT_MS = 3_000  # a guard never outlives this, even if the card is not drawn again
REPLAY_MS = 1_500  # how long a key that could not act yet waits for its button
CARD_START = "data-ll-card-start"
CARD_END = "data-ll-card-end"

_KEYBOARD = """<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  const win = doc.defaultView || window;
  doc.llActionKeys = new Set(%(keys)s);
  doc.llReadPauseMs = %(pause)d;
  doc.llToggles = %(toggles)s;
  if (doc.llKeyboardInstalled) { return; }
  doc.llKeyboardInstalled = true;
  const TEXT = '.st-key-ll_text [data-testid="stText"]';
  const CARD_BUTTONS = '.st-key-ll_labels button, .st-key-ll_actions button';
  const marker = (name) => {
    const found = doc.querySelector('.st-key-ll_text [' + name + ']');
    return found ? found.getAttribute(name) : '';
  };
  const ready = () => marker('%(start)s') === marker('%(end)s');
  const shownText = () => {
    const text = doc.querySelector(TEXT);
    return text ? text.textContent : null;
  };
  // Streamlit shows each button's key inside it, in a kbd element labelled "Shortcut K" (a letter
  // in upper case, a named key as "Enter").
  const buttonFor = (key) => {
    const shown = key.length === 1 ? key.toUpperCase() : key.charAt(0).toUpperCase() + key.slice(1);
    const badge = doc.querySelector('[aria-label="Shortcut ' + shown + '"]');
    const button = badge && badge.closest('button');
    return button && !button.disabled ? button : null;
  };
  // Read pause: doc.llPausedUntil (performance.now() time) is when keys act again. The
  // observer below notes a new text: the card's markers change on every drawing. (Watching
  // text nodes too, characterData, cost about 15 ms per label in the latency harness.)
  let lastText = null;
  doc.llPausedUntil = 0;
  const noteText = () => {
    const text = shownText();
    if (text === null) { return; }
    if (lastText !== null && text !== lastText) { doc.llPausedUntil = performance.now() + doc.llReadPauseMs; }
    lastText = text;
  };
  const paused = () => performance.now() < doc.llPausedUntil;
  const guard = {pending: false, text: null, drawn: null, timer: null};
  const release = () => { guard.pending = false; clearTimeout(guard.timer); };
  const arm = () => {
    guard.pending = true;
    guard.text = shownText();
    guard.drawn = marker('%(end)s');
    guard.timer = setTimeout(() => { release(); replay(); }, %(timeout)d);
  };
  let queued = null;  // {key, text, until}: a key that could not act yet
  const queue = (event) => {
    queued = {key: event.key.toLowerCase(), text: shownText(), until: performance.now() + %(replay)d};
  };
  const replay = () => {
    if (queued === null) { return; }
    if (performance.now() > queued.until || shownText() !== queued.text) { queued = null; return; }
    const button = guard.pending || !ready() ? null : buttonFor(queued.key);
    if (button === null) { return; }
    queued = null;
    button.click();  // the click listener below arms the guard, as for any click
  };
  new MutationObserver(() => {
    noteText();
    if (guard.pending && marker('%(end)s') !== guard.drawn) { release(); }
    replay();
  }).observe(doc.body, {subtree: true, childList: true, attributes: true,
                         attributeFilter: ['%(start)s', '%(end)s', 'disabled']});
  const typingIn = (target) => target && (target.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  const actionKey = (event) => !typingIn(event.target) && !event.ctrlKey && !event.metaKey &&
    !event.altKey && !event.shiftKey && doc.llActionKeys.has(event.key.toLowerCase()) &&
    shownText() !== null;
  const hold = (event) => { event.preventDefault(); event.stopImmediatePropagation(); };
  // Capture phase, before Streamlit's shortcuts.
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
    if (event.key === 'Escape' && typing && event.target.closest('.st-key-ll_panel')) {
      const cancel = doc.querySelector('.st-key-ll_panel_cancel button');
      if (cancel) { event.preventDefault(); cancel.click(); }
      return;
    }
    if (!actionKey(event)) { return; }
    if (event.repeat) { hold(event); return; }
    if (paused()) { hold(event); return; }
    if (guard.pending) {
      hold(event);
      // Before the answer to the last key is being drawn, a second key is a double press and
      // is dropped; after, it waits for the card to be ready (and for its text to stay).
      if (doc.llToggles || marker('%(start)s') !== guard.drawn || shownText() !== guard.text) { queue(event); }
      return;
    }
    if (!ready()) { hold(event); queue(event); }
  }, true);
  // Clicks on the card's buttons get the same guard and pause as keys: a double click's
  // second click is dropped whether it lands before or just after the next text shows.
  win.addEventListener('click', function (event) {
    const button = event.target.closest ? event.target.closest(CARD_BUTTONS) : null;
    if (button === null) { return; }
    if (guard.pending || paused()) { hold(event); return; }
    arm();
    setTimeout(() => { if (doc.activeElement === button) { button.blur(); } }, 0);
  }, true);
  // Bubble phase, after them: a shortcut that acted cancelled the event's default.
  win.addEventListener('keydown', function (event) {
    if (guard.pending || !actionKey(event)) { return; }
    if (event.defaultPrevented) { arm(); return; }
    queue(event);
    replay();
  });
})();
</script>"""

_FOCUS = """<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  let tries = 0;
  const focus = () => {
    const box = doc.querySelector(%(selector)s);
    if (box) { if (!box.value) { box.focus(); } } else if (tries++ < 400) { setTimeout(focus, 25); }
  };
  focus();
})();
</script>"""

TEXT_STYLE = """<style>
.st-key-ll_text [data-testid="stText"] {
  font-size: 1.3rem; line-height: 1.55; white-space: pre-wrap; overflow-wrap: anywhere;
}
.st-key-ll_text { max-height: 55vh; overflow-y: auto; }
.st-key-ll_text [data-testid="stElementContainer"]:has([%(start)s], [%(end)s]) { display: none; }
</style>""" % {"start": CARD_START, "end": CARD_END}


def keyboard_script(action_keys: list[str], *, read_pause_ms: int = 0, toggles: bool = False) -> str:
    """The in-flight guard, the read pause and the filter keys, for these one-key actions
    (labels, skip, undo, flag, comment, history; "Enter": accept the suggestion) and the card's buttons.

    ``toggles`` (a multi-label card, whose label keys turn labels on and off on the same text): a
    second key while the first is in flight is never taken for a double press; it waits for the card
    and acts if the text is still the one it was pressed on (two labels typed fast both count)."""
    keys = sorted({key.lower() for key in action_keys if key})
    return _KEYBOARD % {"keys": json.dumps(keys), "pause": max(0, int(read_pause_ms)),
                        "toggles": "true" if toggles else "false",
                        "timeout": GUARD_TIMEOUT_MS, "replay": REPLAY_MS, "start": CARD_START, "end": CARD_END}


def card_marker(drawing: int, *, end: bool) -> str:
    """The card's first (``end=False``) or last element: a hidden marker holding the drawing's number."""
    return f'<span {CARD_END if end else CARD_START}="{int(drawing)}"></span>'


def focus_script(css_selector: str, nonce: object = "") -> str:
    """Focus the (empty) input matching ``css_selector`` once it exists (looked for every 25 ms for
    10 s: on a loaded server the box was once drawn more than the first second after the script ran,
    and the note the annotator then typed went nowhere).

    ``nonce`` changes the element so Streamlit runs the script again.
    """
    return f"<!-- {nonce} -->" + _FOCUS % {"selector": json.dumps(css_selector)}


_COOKIE_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_COOKIE = """<script>
(function () {
  const doc = window.parent ? window.parent.document : document;
  const secure = doc.location && doc.location.protocol === 'https:' ? '; Secure' : '';
  doc.cookie = %(name)s + '=' + %(value)s + '; Path=/; Max-Age=' + %(age)d + '; SameSite=Strict' + secure;
})();
</script>"""


def cookie_script(name: str, value: str, max_age: int) -> str:
    """Set the cookie ``name`` to ``value`` for ``max_age`` seconds (0: delete it), for this site only
    (``SameSite=Strict``; ``Secure`` when the page came over HTTPS). ``name`` and ``value`` must be
    cookie-safe (letters, digits, ``-`` and ``_``): the session token is."""
    if not _COOKIE_SAFE.fullmatch(name) or not _COOKIE_SAFE.fullmatch(value or "x"):
        raise ValueError("a cookie name and value hold letters, digits, - and _ only")
    return _COOKIE % {"name": json.dumps(name), "value": json.dumps(value), "age": max(0, int(max_age))}
