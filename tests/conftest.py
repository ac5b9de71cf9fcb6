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


#: Test modules that run whole pipelines (tens of seconds to two minutes each), longest first. pytest-xdist's
#: --dist loadfile hands modules to the two workers in collection order; starting with the longest keeps one
#: worker from being left with a long module at the end (longest-processing-time-first scheduling).
SLOW_MODULES = ("test_runs", "test_docs", "test_pipeline", "test_sweeps", "test_standalone", "test_point_cache",
                "test_loss_pipeline", "test_interrupted", "test_conditional", "test_messages",
                "test_verdicts_pipeline", "test_plans_pipeline")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    # A stable sort: within a module, and among the other modules, the order stays as collected.
    items.sort(key=lambda item: rank.get(item.module.__name__.rpartition(".")[2], len(SLOW_MODULES)))

