"""A client's reading for the staff lists: their headlines (latest score and band, change since
the baseline, reliable change), their expected-path badge, their latest submission and their
current episode's state, kept in the cache until the data it was read from changes.

Today and the caseload show every client's reading: for 200 clients, working them out is most
of each page (two reads of the episodes' scores and the paths, and exact arithmetic per
client). Between two views of a page few clients' data has changed, so each reading is kept
under what it was computed from:

- the client's reading stamp, which the database renews in the same transaction as any write to
  their responses, episodes or appointments (practice.stamps: triggers, so no write path can
  forget it);
- the practice's stamp (row 0: adopted calibrations, practice-defined instruments) and its
  reliable-change thresholds;
- the code that computes a reading (a digest of practice/'s source, so a deploy that changes a
  rule never shows a reading of the old rule).

The stamps are read before the data (one query), so a reading is never kept under a stamp newer
than its data. A client without a stamp (no data since the triggers exist) is read afresh every
time and not kept. If the cache cannot be reached, every reading is worked out, as before: the
cache can only save time, never change what is shown.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache as once
from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db.models import Max

from practice.expected.policies import PathStatus
from practice.expected.selectors import PathBadge, path_badges
from practice.measurement.models import Response
from practice.measurement.scoring import ReliableChange
from practice.outcomes.models import Episode, ReadingStamp
from practice.outcomes.selectors import current_episodes
from practice.stamps import PRACTICE_ROW
from practice.today.headlines import Headline, client_headlines
from tenants.models import Practice

logger = logging.getLogger(__name__)

# A kept reading that is not read again is dropped after this long.
KEEP_SECONDS = 7 * 24 * 3600
PRACTICE_SOURCE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ClientReading:
    headlines: list[Headline]
    path: PathBadge | None  # the worst expected-path status, without its reading's detail
    last_response: datetime | None = None  # the latest submission (the caseload's activity)
    # The current episode (open, else the latest): "open", "closed" or "none", and a closed
    # one's end reason (Episode.EndReason, "" otherwise).
    episode: str = "none"
    end_reason: str = ""

    @property
    def end_reason_label(self) -> str:
        return str(Episode.EndReason(self.end_reason).label) if self.end_reason else ""


@once
def code_digest() -> str:
    """A digest of every Python file under practice/: the rules a reading comes from."""
    digest = hashlib.sha256()
    for path in sorted(PRACTICE_SOURCE.rglob("*.py")):
        digest.update(str(path.relative_to(PRACTICE_SOURCE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(client_id: int, stamp: UUID, practice_part: str) -> str:
    return f"reading:{practice_part}:{client_id}:{stamp.hex}"


def _practice_part(practice: Practice, stamp: UUID | None) -> str:
    thresholds = json.dumps(practice.reliable_change_thresholds or {}, sort_keys=True)
    inputs = f"{code_digest()}|{stamp.hex if stamp else '-'}|{thresholds}"
    return hashlib.sha256(inputs.encode()).hexdigest()[:24]


# --- what is kept: plain values (a tenth of the size of the objects, and quicker to load) ------

def _pack(reading: ClientReading) -> tuple[Any, ...]:
    return (tuple((h.instrument_key, h.title, str(h.latest), h.band, str(h.baseline),
                   h.has_change, h.reliable.value if h.reliable else None)
                  for h in reading.headlines),
            (reading.path.status.value, reading.path.instrument_key) if reading.path else None,
            reading.last_response, reading.episode, reading.end_reason)


def _unpack(packed: tuple[Any, ...]) -> ClientReading:
    headlines, path, last_response, episode, end_reason = packed
    return ClientReading(
        headlines=[Headline(instrument_key=key, title=title, latest=Decimal(latest), band=band,
                            baseline=Decimal(baseline), has_change=has_change,
                            reliable=ReliableChange(reliable) if reliable else None)
                   for key, title, latest, band, baseline, has_change, reliable in headlines],
        path=PathBadge(status=PathStatus(path[0]), instrument_key=path[1], reading=None)
        if path else None,
        last_response=last_response, episode=episode, end_reason=end_reason)


def _compute(client_ids: list[int], practice: Practice,
             episodes: Mapping[int, Episode] | None) -> dict[int, ClientReading]:
    """The readings worked out from the data: the queries of client_headlines and
    path_badges (with the current episodes), and each client's latest submission."""
    current = (current_episodes(client_ids, brief=True) if episodes is None
               else {pk: episodes[pk] for pk in client_ids if pk in episodes})
    headlines = client_headlines(client_ids, practice=practice, episodes=current)
    badges = path_badges(client_ids)
    latest = dict(Response.objects.filter(client__any=client_ids).order_by()
                  .values("client_id").annotate(last=Max("submitted_at"))
                  .values_list("client_id", "last"))
    return {pk: ClientReading(headlines=headlines.get(pk, []), path=badges.get(pk),
                              last_response=latest.get(pk), **_episode_state(current.get(pk)))
            for pk in client_ids}


def _episode_state(episode: Episode | None) -> dict[str, str]:
    if episode is None:
        return {"episode": "none", "end_reason": ""}
    if episode.is_open:
        return {"episode": "open", "end_reason": ""}
    return {"episode": "closed", "end_reason": episode.end_reason}


def client_readings(client_ids: Collection[int], *, practice: Practice,
                    episodes: Mapping[int, Episode] | None = None
                    ) -> dict[int, ClientReading]:
    """client id -> reading, for the clients given (see the module's docstring). One query when
    every reading is kept; the headlines' and paths' queries too when any is not. Pass the
    clients' ``current_episodes`` as ``episodes`` when already read."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    stamps = dict(ReadingStamp.objects.filter(client_id__any=[PRACTICE_ROW, *ids])
                  .values_list("client_id", "stamp"))
    practice_part = _practice_part(practice, stamps.get(PRACTICE_ROW))
    keys = {pk: _key(pk, stamps[pk], practice_part) for pk in ids if pk in stamps}
    try:
        kept = cache.get_many(list(keys.values()))
    except Exception:  # noqa: BLE001 - the cache only saves time: read everything afresh
        logger.warning("readings: cache unavailable, reading every client afresh", exc_info=True)
        kept = {}
    found = {pk: _unpack(kept[key]) for pk, key in keys.items() if key in kept}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        computed = _compute(missing, practice, episodes)
        found.update(computed)
        to_keep = {keys[pk]: _pack(computed[pk]) for pk in missing if pk in keys}
        if to_keep:
            try:
                cache.set_many(to_keep, timeout=KEEP_SECONDS)
            except Exception:  # noqa: BLE001 - not kept: read afresh next time
                logger.warning("readings: could not keep readings", exc_info=True)
    return found
