"""What a configuration error says: the source of the value, numbers written 1e5, suggestions, YAML lines."""

import pytest

from mcloss.errors import ConfigError
from mcloss.laws.distributions import make_distribution


@pytest.mark.parametrize("name, suggested", [("student_t", "t"), ("students_t", "t"), ("gaussian", "norm"),
                                             ("normal", "norm"), ("Normal", "norm"), ("exponential", "expon"),
                                             ("lognormal", "lognorm"), ("chi_squared", "chi2")])
def test_unknown_distribution_suggests_its_scipy_name(name, suggested):
    with pytest.raises(ConfigError) as err:
        make_distribution({"dist": name}, "scenarios.s.data")
    message = str(err.value)
    assert message.startswith("config key scenarios.s.data.dist: unknown distribution")
    assert f"(did you mean {suggested}" in message, message
    assert "\n" not in message


def test_an_alias_is_only_suggested_never_accepted():
    with pytest.raises(ConfigError):
        make_distribution({"dist": "gaussian", "loc": 0.0, "scale": 1.0}, "data")
    assert make_distribution({"dist": "norm", "loc": 0.0, "scale": 1.0}, "data").mean() == 0.0
