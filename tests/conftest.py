import copy

import pytest

from common import GAN


@pytest.fixture
def gan_spec():
    return copy.deepcopy(GAN)
