import copy

import pytest
from hypothesis import settings

from common import GAN

# The same examples on every run: CI must not depend on which inputs hypothesis happens to try.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")


@pytest.fixture
def gan_spec():
    return copy.deepcopy(GAN)
