"""Episodes of care and outcome reports (issue 14, clinical-data half).

Stable names other parts of Tandem may use (keep them):

Models (``practice.outcomes.models``)
    ``Episode``: client, clinician, ``started_at``, ``ended_at``, ``end_reason``
    (``Episode.EndReason``: completed, dropped_out, referred_on, moved, other), ``end_note``,
    ``instrument_keys`` (instruments tracked). At most one open episode per client.

Services (``practice.outcomes.services``; keyword-only, atomic, audited)
    ``episode_open(client=, actor=, clinician=None, instrument_keys=None)``
    ``episode_ensure_open(client=, actor=)``: the open episode, or a new one
    (what inviting and re-engaging a client call).
    ``episode_close(episode_id=, actor=, end_reason=, ended_at=None, note="")``

Selectors (``practice.outcomes.selectors``; set-based, a fixed number of queries whatever the
number of clients or the length of their history)
    ``current_episode(client) -> Episode | None``: the open episode, else the latest.
    ``current_episodes(clients, *, brief=False) -> dict[client_id, Episode]``: the same for
    many clients, users or ids (1 query; ``brief`` reads only whether it is open, since when
    and why it closed).
    ``episode_scores(episodes) -> dict[episode_id, dict[instrument_key, EpisodeScores]]``:
    baseline (first scored response in the episode), latest (= final once closed) and count of
    each instrument (1 query).
    ``episode_headlines(clients, *, thresholds=None)
    -> dict[client_id, EpisodeHeadline]``: current episode plus, per instrument,
    ``InstrumentProgress`` (baseline, latest, change, reliable change, clinically significant
    change, NHS Talking Therapies class). 2 queries (3 with practice-defined instruments).

Pure maths (``practice.outcomes.maths``): reliable change (Jacobson-Truax, reusing
``practice.measurement.scoring.reliable_change``), clinically significant change, NHS Talking
Therapies classes, pre-post effect size, and the aggregate rates of a set of episodes.
"""
