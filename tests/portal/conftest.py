"""Portal tests: the look-alike practices' clients have accepted the current consent, as every
client who uses the portal has (an account made outside an invitation is asked first)."""

from __future__ import annotations

import pytest

from tests.conftest import PracticeWorld
from tests.portal.helpers import accept_consent


@pytest.fixture
def alpha(alpha: PracticeWorld) -> PracticeWorld:
    accept_consent(alpha)
    return alpha


@pytest.fixture
def beta(beta: PracticeWorld) -> PracticeWorld:
    accept_consent(beta)
    return beta
