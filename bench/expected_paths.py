"""Expected-path calibration on a synthetic practice: 500 closed PHQ-9 episodes over the four
baseline bands, weekly scores for 12 weeks (15% missed), each band generated from its own curve
(proportional change on ln(1 + weeks)) with normal noise and a few wild scores; then the robust
fit (practice.expected.policies.fit_stratum, scipy) per band. Prints, per band, the episodes,
the generating k and tolerance (the noise's 85th percentile) against the fitted ones, and the fit
time. Pure: no database (the query that feeds a real calibration is one grouped scan, see
practice.expected.selectors.calibration_observations).

    python bench/expected_paths.py [--episodes 500] [--seed 15]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.common import print_load  # noqa: E402

# band: (baseline range, generating k, noise SD in points, share of the practice)
TRUTH = {
    "mild": ((5, 9), 0.16, 1.5, 0.20),
    "moderate": ((10, 14), 0.22, 2.0, 0.35),
    "moderately_severe": ((15, 19), 0.25, 2.5, 0.30),
    "severe": ((20, 27), 0.28, 3.0, 0.15),
}
NORMAL_85TH = 1.0364  # the 85th percentile of a standard normal


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    print_load("before")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://unused/unused")
    os.environ.setdefault("REDIS_URL", "redis://unused")
    import django

    django.setup()
    from practice.expected import policies

    model = policies.default_models()["phq9"]
    rng = random.Random(args.seed)
    by_band: dict[str, tuple[int, list[policies.Observation]]] = {}
    for band, ((low, high), k, noise, share) in TRUTH.items():
        episodes = round(args.episodes * share)
        rows = []
        for _ in range(episodes):
            baseline = rng.randint(low, high)
            for week in range(1, 13):
                if rng.random() < 0.15:
                    continue
                truth = baseline * max(model.floor, 1 - k * math.log1p(week))
                value = truth + rng.gauss(0, noise)
                if rng.random() < 0.02:  # a wild score (a slip, a crisis week)
                    value = truth + rng.choice((-1, 1)) * 10
                rows.append(policies.Observation(baseline, week, min(27.0, max(0.0, value))))
        by_band[band] = (episodes, rows)
    print(f"synthetic practice: {args.episodes} closed PHQ-9 episodes, "
          f"{sum(len(rows) for _, rows in by_band.values())} scores after baseline")
    print(f"{'band':<18} {'N':>4} {'k true':>7} {'k fit':>7} {'tol true':>9} {'tol fit':>8} "
          f"{'fit ms':>7}")
    started = time.perf_counter()
    import scipy.optimize  # noqa: F401 - imported once per process; timed on its own

    print(f"scipy import: {(time.perf_counter() - started) * 1000:.0f} ms (once per process)")
    times = []
    for band, (episodes, rows) in by_band.items():
        _range, k, noise, _share = TRUTH[band]
        started = time.perf_counter()
        fit = policies.fit_stratum(model, rows, episodes=episodes)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        print(f"{band:<18} {episodes:>4} {k:>7.3f} {fit.k:>7.3f} {noise * NORMAL_85TH:>9.2f} "
              f"{fit.tolerance:>8.1f} {elapsed:>7.1f}")
    print_load("after")
    # No baseline to compare with (a fit against the truth it was generated from): no ratio.
    print(f"RESULT expected_paths fit_ms_total={sum(times):.1f} "
          f"fit_ms_median={statistics.median(times):.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
