"""Expected-recovery paths: where most people who start at a client's baseline are by now, the
"not on track" early warning built on them, and the clinical support questions asked when it
fires (docs/expected-paths.md).

- ``policies``: the path model, pure (parameters in ``defaults.json``, each with its source),
  the status of a series of scores, and the robust fit used to recalibrate it;
- ``selectors``: the practice's paths (defaults, or its adopted calibrations), episode series;
- ``services``: calibrating and adopting, the settings, the support answers, the follow-up;
- the engagement rule itself is ``practice.engagement.rules.NotOnTrack``."""
