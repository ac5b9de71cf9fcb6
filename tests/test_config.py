"""Bad configuration fails before any job, with one line naming the key."""

import copy

import pytest
import yaml

from common import GAN, assert_one_line_error, first_problem, snakemake


def config_with(mutate):
    config = {"scenarios": {"g": copy.deepcopy(GAN)}}
    mutate(config)
    return config


def test_valid_config_passes_and_gets_defaults():
    config = config_with(lambda c: None)
    assert first_problem(config) is None
    assert config["seed"] == 20261122 and config["batch_sizes"]["per_decade"] == 8


@pytest.mark.parametrize("mutate, key, allowed", [
    (lambda c: c.update(colour="red"), "colour", "seed"),
    (lambda c: c["scenarios"]["g"].update(foo=1), "scenarios.g.foo", "real_fraction"),
    (lambda c: c["scenarios"]["g"]["data"].update(dist="nrom"), "scenarios.g.data.dist", "scipy.stats"),
    (lambda c: c["scenarios"]["g"]["data"].update(dist="poisson", mu=2), "scenarios.g.data.dist", "continuous"),
    (lambda c: c["scenarios"]["g"]["generator"].update(scale=-1.0), "scenarios.g.generator.scale", "> 0"),
    (lambda c: c["scenarios"]["g"].update(real_fraction=1.5), "scenarios.g.real_fraction", "> 0 and < 1"),
    (lambda c: c["scenarios"]["g"].update(real_fraction=0.0), "scenarios.g.real_fraction", "> 0 and < 1"),
    (lambda c: c["scenarios"]["g"].update(discriminator={"logit": [1.0, "a"]}),
     "scenarios.g.discriminator.logit[1]", "number"),
    (lambda c: c["scenarios"]["g"].update(discriminator="best"), "scenarios.g.discriminator", "optimal"),
    (lambda c: c["scenarios"]["g"].update(estimand="gan"), "scenarios.g.estimand", "gan_discriminator"),
    (lambda c: c.update(batch_sizes={"min": 100, "max": 10, "per_decade": 8}), "batch_sizes.max", "max >= min"),
    (lambda c: c["scenarios"]["g"]["data"].update(dist="gamma"), "scenarios.g.data.a", "a, loc, scale"),
    (lambda c: c["scenarios"]["g"]["data"].update(df=3.0), "scenarios.g.data.df", "loc, scale"),
    (lambda c: c["scenarios"]["g"].update(data={"dist": "gamma", "a": -1.0}), "scenarios.g.data", "shapes a"),
    (lambda c: c.update(replicates="many"), "replicates", "integer"),
    (lambda c: c["scenarios"].update({"bad/name": copy.deepcopy(GAN)}), "scenarios.bad/name", "letters, digits"),
])
def test_rejections_name_the_key_and_what_is_allowed(mutate, key, allowed):
    message = first_problem(config_with(mutate))
    assert_one_line_error(message, key, allowed)


def test_snakemake_stops_with_one_line_before_any_job(tmp_path):
    config = config_with(lambda c: c["scenarios"]["g"].update(real_fraction=2))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "results").mkdir()
    keep = tmp_path / "results" / "keep.txt"
    keep.write_text("computed earlier")
    run = snakemake(tmp_path, "--cores", 1)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines == ["config error: config key scenarios.g.real_fraction: 2 is greater than or equal to the "
                     "maximum of 1; allowed: a number > 0 and < 1 (from config.yaml, key "
                     "scenarios.g.real_fraction)"], run.stderr
    assert keep.read_text() == "computed earlier"
    assert not (tmp_path / "results" / "simulations").exists()


@pytest.mark.parametrize("generator, key", [
    ({"latent": {"dist": "norm"}, "map": [1.0, "x"]}, "scenarios.g.generator"),
    ({"latent": {"dist": "nrom"}, "map": [1.0, 1.0]}, "scenarios.g.generator.latent.dist"),
])
def test_explicit_generator_rejections(generator, key):
    message = first_problem(config_with(lambda c: c["scenarios"]["g"].update(generator=generator)))
    assert message is not None and message.startswith(f"config key {key}"), message


def test_explicit_generator_needs_a_logistic_discriminator():
    config = config_with(lambda c: c["scenarios"]["g"].update(
        generator={"latent": {"dist": "norm"}, "map": [1.0, 1.0]}, discriminator="optimal"))
    assert first_problem(config).startswith("config key scenarios.g.generator: an explicit")


BCE = {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}


@pytest.mark.parametrize("claims, key, allowed", [
    ({"ce2-equals-bce": ["g"]}, "claims.ce2-equals-bce[0]", "binary_cross_entropy"),       # wrong estimand
    ({"gan-limit-pz": ["g", "nope"]}, "claims.gan-limit-pz[1]", "g"),                     # unknown scenario
    ({"no-such-claim": ["g"]}, "claims.no-such-claim", "gan-limit-pz"),                   # unknown claim id
    ({"gan-misplaced-scaling": ["g"]}, "claims.gan-misplaced-scaling[0]", "as_typeset: True"),
    ({"gan-real-fraction": ["g"]}, "claims.gan-real-fraction[1]", "2 scenario names"),
])
def test_claims_mapping_is_checked_before_any_job(claims, key, allowed):
    assert_one_line_error(first_problem(config_with(lambda c: c.update(claims=claims))), key, allowed)


def test_claims_left_at_their_defaults_may_name_absent_or_unsuited_scenarios_but_chosen_ones_may_not():
    assert first_problem(config_with(lambda c: None)) is None                             # all defaults, absent
    assert first_problem(config_with(lambda c: c.update(claims={"gan-limit-pz": ["g"]}))) is None
    # A user's own scenario that happens to carry a default-mapped name (here a GAN called bce_vs_ce2, or a
    # gan_balanced without as_typeset) is not an error: the user did not choose that claim, which is `not run`.
    wrong = config_with(lambda c: c["scenarios"].update(bce_vs_ce2=copy.deepcopy(GAN)))
    assert first_problem(wrong) is None
    plain = config_with(lambda c: c["scenarios"].update(gan_balanced=copy.deepcopy(GAN)))
    assert first_problem(plain) is None
    # A mapping the user wrote (one that differs from the default) is checked.
    chosen = config_with(lambda c: (c["scenarios"].update(bce_vs_ce2=copy.deepcopy(GAN)),
                                    c.update(claims={"ce2-equals-bce": ["bce_vs_ce2", "g"]})))
    assert_one_line_error(first_problem(chosen), "claims.ce2-equals-bce[0]", "binary_cross_entropy")
    right = config_with(lambda c: c["scenarios"].update(bce_vs_ce2=copy.deepcopy(BCE)))
    assert first_problem(right) is None
