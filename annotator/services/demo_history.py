"""The demo's history: three annotators' first days of labeling, made through the app's own calls.

So that every page shows something on first start, the demo builder plays a small team
through the same library calls the Label and Review pages make (no SQL of its own):

* ``annotator``, ``maria`` and ``kenji`` label in sessions over the last three days
  (:func:`annotator.services.queue.next_item`, then :func:`~annotator.services.queue.save_label`
  with the time it happened), each with their own pace and their own mistakes (a wrong
  label is the one their label is most often confused with);
* a quarter of the pool goes blind to two of them (``overlap_fraction`` 0.25), so the
  Dashboard has agreement figures and the Review page has disagreements; the lead settles two;
* two flags, three comments (:mod:`annotator.services.flags`), a changed label from the
  history panel, two skips and one late label (saved after its reservation ran out).

Everything is seeded: every demo project holds the same history, dated back from its creation.
Texts the scripted events need are found by their ticket id; a sample without them (the tests'
small stand-in) gets the sessions only.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from annotator.errors import InputError
from annotator.services import flags, queue, review
from annotator.services.dashboard import agreement_stats
from annotator.services.projects import Project
from annotator.services.ranking import publish_random_ranking
from annotator.services.settings import get_settings, set_settings
from annotator.store.examples import backdate_examples, get_example, ids_by_ext_id
from annotator.store.labels import current_labels

HISTORY_DAYS = 3
OVERLAP = {"overlap_fraction": 0.25, "overlap_k": 2}
SEED = 13
# the label a tired annotator gives instead (the sample's nearest neighbours)
CONFUSED_WITH = {"billing": "account", "account": "billing", "technical": "account", "shipping": "billing",
                 "feedback": "technical"}


@dataclass(frozen=True)
class Annotator:
    name: str
    accuracy: float          # share of their labels that match the sample's label
    median_seconds: float    # per text
    sessions: tuple[tuple[float, int], ...]  # (hours before the demo was made, texts in that session)


TEAM = (
    Annotator("annotator", 0.9, 7.0, ((70.0, 18), (46.0, 16), (1.5, 12))),
    Annotator("maria", 0.94, 5.5, ((69.0, 22), (45.0, 20), (21.0, 18))),
    Annotator("kenji", 0.8, 9.0, ((68.5, 14), (44.0, 16), (20.0, 14))),
)
# (who, ticket id, reason, note, hours before the demo was made)
FLAGS = (
    ("maria", "t0371", "ambiguous", "A lost parcel and a refund request in one: shipping or billing?", 44.8),
    ("kenji", "t0131", "broken", "The email address is cut off after the @.", 19.6),
)
# (who, ticket id, comment, the label they gave, hours before)
COMMENTS = (
    ("annotator", "t0336", "Complains about our password rules: account, or is it feedback?", "account", 45.7),
    ("maria", "t0501", "Wrong item delivered: shipping, or billing if they want their money back?", "shipping", 20.7),
    ("kenji", "t0013", "Second request for the same refund: should repeat requests go to someone?", "billing", 43.5),
)
SKIPS = (("kenji", 2), ("kenji", 9))  # (who, their n-th text of the history is skipped)
LATE = ("kenji", 20)                  # their n-th text is saved after its reservation ran out
RELABEL = ("annotator", 3, 1.2)       # they reopen their n-th label from the history, hours before


@dataclass
class History:
    """What the history holds (the demo command says it)."""

    labels: int = 0
    overlap_texts: int = 0
    flags: int = 0
    comments: int = 0
    adjudicated: int = 0


def _gold(project: Project, example_id: int) -> str | None:
    """The sample's label of a text: its metadata in the pool, the evaluation set's label otherwise."""
    meta = get_example(project.db, example_id)["meta"] or {}
    if meta.get("label"):
        return str(meta["label"])
    given = current_labels(project.db, example_id)
    return given[0]["label"] if given else None


def _answer(rng: random.Random, who: Annotator, gold: str | None, labels: list[str]) -> str:
    if gold not in labels:
        return labels[0]
    if rng.random() < who.accuracy:
        return gold
    other = CONFUSED_WITH.get(gold)
    return other if other in labels and rng.random() < 0.75 else rng.choice([name for name in labels if name != gold])


def _seconds(rng: random.Random, median: float) -> float:
    return round(max(1.5, rng.lognormvariate(math.log(median), 0.45)), 2)


def _events(now: float, rng: random.Random) -> list[tuple[float, Annotator, int]]:
    """(time, annotator, their n-th text) of every planned label, in time order."""
    events = []
    for who in TEAM:
        n = 0
        for hours, count in who.sessions:
            moment = now - hours * 3600
            for _ in range(count):
                events.append((moment, who, n))
                moment += _seconds(rng, who.median_seconds) + rng.uniform(1.0, 4.0)
                n += 1
    return sorted(events, key=lambda event: event[0])


def build_history(project: Project, labels: list[str], *, now: float | None = None) -> History:
    """Play the team's history into ``project`` (just built, unlabeled); what it holds."""
    now = time.time() if now is None else now
    rng = random.Random(SEED)
    history = History()
    backdate_examples(project.db, (HISTORY_DAYS + 1) * 86_400)  # the pool was imported before the team began
    set_settings(project.db, **OVERLAP)
    publish_random_ranking(project)  # what the worker publishes the moment it first starts
    scripted = ids_by_ext_id(project.db, [ticket for _, ticket, *_ in FLAGS + COMMENTS])
    pending = sorted([("flag", event) for event in FLAGS] + [("comment", event) for event in COMMENTS],
                     key=lambda item: -item[1][-1])
    skips, late = set(SKIPS), LATE
    overdue = get_settings(project.db).lease_seconds + 60
    given: dict[str, list[int]] = {}
    for moment, who, n in _events(now, rng):
        while pending and now - pending[0][1][-1] * 3600 <= moment:
            kind, event = pending.pop(0)
            if event[1] in scripted:
                _scripted(project, kind, event, scripted[event[1]], now - event[-1] * 3600, history)
        item = queue.next_item(project, who.name, now=moment)
        if item is None:
            continue
        seconds = _seconds(rng, who.median_seconds)
        if (who.name, n) in skips:
            queue.skip(project, who.name, item.example_id, now=moment + seconds)
            continue
        saved_at = moment + (overdue if (who.name, n) == late else seconds)
        label = _answer(rng, who, _gold(project, item.example_id), labels)
        queue.save_label(project, who.name, item.example_id, label, seconds=seconds, now=saved_at,
                         suggestion=None)
        given.setdefault(who.name, []).append(item.example_id)
        history.labels += 1
    name, nth, hours = RELABEL
    if len(given.get(name, [])) > nth:
        example_id = given[name][nth]
        reopened = queue.open_item(project, name, example_id, now=now - hours * 3600)
        other = next(label for label in labels if label != reopened.given)
        queue.save_label(project, name, example_id, other, seconds=4.2, now=now - hours * 3600 + 4.2)
    for row in review.disagreement_queue(project).head(2).itertuples():
        gold = _gold(project, row.example_id)
        review.adjudicate(project, "lead", row.example_id, gold if gold in labels else next(iter(row.votes.values())))
        history.adjudicated += 1
    history.overlap_texts = agreement_stats(project)["n_items"]
    return history


def _scripted(project: Project, kind: str, event: tuple, example_id: int, moment: float, history: History) -> None:
    """A flag or a comment on a text found by its ticket id (opened by id, as from the history panel)."""
    who = event[0]
    try:
        queue.open_item(project, who, example_id, now=moment)
    except InputError:
        return  # already labeled by someone else in this sample
    if kind == "flag":
        flags.flag_text(project, who, example_id, event[2], event[3], now=moment + 25)
        history.flags += 1
        return
    flags.add_comment(project, who, example_id, event[2], now=moment + 30)
    queue.save_label(project, who, example_id, event[3], seconds=38.0, now=moment + 38)
    history.comments += 1
    history.labels += 1
