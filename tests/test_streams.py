"""128-bit scenario keys, their uniqueness check and the reproducibility of the streams built on them."""

import hashlib

import numpy as np
import pytest

from common import GAN, assert_one_line_error, snakemake
from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.laws.streams import KEY_WORDS, scenario_key, stream_rng, unique_keys
from mcloss.pipeline import sweeps
from mcloss.simulate.engine import simulate


def test_scenario_keys_are_four_uint32_words_of_blake2b():
    key = scenario_key("gan_balanced")
    digest = hashlib.blake2b(b"gan_balanced", digest_size=16).digest()
    assert KEY_WORDS == 4 and len(key) == 4 and all(0 <= w < 2**32 for w in key)
    assert int.from_bytes(digest, "little") == sum(w << (32 * i) for i, w in enumerate(key))
    assert scenario_key("gan_balanced") == key and scenario_key("gan_optimal") != key


def test_the_spawn_key_is_the_key_words_then_stream_then_replicate():
    key = scenario_key("s")
    expected = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(*key, 1, 2))).random(5)
    assert np.array_equal(stream_rng(7, key, 1, 2).random(5), expected)
    assert not np.array_equal(stream_rng(7, key, 1, 3).random(5), expected)
    assert not np.array_equal(stream_rng(7, scenario_key("t"), 1, 2).random(5), expected)


def test_unique_keys_allow_shared_random_names_and_refuse_collisions():
    keys = unique_keys({"a": "a", "sweep__x=1": "sweep", "sweep__x=2": "sweep"})
    assert keys["sweep__x=1"] == keys["sweep__x=2"] == scenario_key("sweep") != keys["a"]

    def truncated(name):   # a 4-bit key: 40 names must collide (pigeonhole)
        return scenario_key(name)[0] & 0xF

    names = [f"s{i}" for i in range(40)]
    seen = {}
    first, second = next((seen[truncated(x)], x) for x in names if seen.setdefault(truncated(x), x) != x)
    with pytest.raises(ConfigError) as err:
        unique_keys({name: name for name in names}, key=truncated)
    assert_one_line_error(str(err.value), f"scenarios.{second}", "128-bit")
    assert f"scenario '{first}'" in str(err.value)


def test_the_workflow_checks_keys_at_parse_time_and_accepts_common_random_numbers(tmp_path):
    # A 128-bit collision cannot be exhibited; the check runs at parse time (common.smk) and must not
    # refuse the points of a common-random-numbers sweep, which share their key on purpose.
    (tmp_path / "config.yaml").write_text(
        "replicates: 4\nreplicates_per_job: 2\nbatch_sizes: {min: 1, max: 100, per_decade: 2}\n"
        f"scenarios:\n  a: {GAN!r}\n  b: {GAN!r}\n".replace("'", '"')
        + "sweeps:\n  crn:\n    scenario: a\n    vary: {real_fraction: [0.25, 0.5]}\n    x: real_fraction\n"
        "    common_random_numbers: true\n")
    result = snakemake(tmp_path, "-n", "--cores", "1", "results/tables/scenarios/a/iid.csv")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("split", [1, 3])
def test_results_do_not_depend_on_how_replicates_are_split_with_128_bit_keys(split):
    estimand = build({"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": 0.9, "stay0": 0.8}},
                      "model": {"p": 0.6}}, "s")
    n, key = np.array([1, 10, 100, 1000]), scenario_key("bce_markov")
    whole = simulate(estimand, n, range(6), 3, key, chunk_size=1024)
    blocks = [simulate(estimand, n, range(r, min(r + split, 6)), 3, key, chunk_size=1024) for r in range(0, 6, split)]
    for q in whole.estimate:
        assert np.array_equal(whole.estimate[q], np.concatenate([b.estimate[q] for b in blocks]), equal_nan=True)


def test_sweep_units_come_from_the_estimand():
    base = {"estimand": "gaussian_nll", "data": {"dist": "norm", "loc": 1.0, "scale": 2.0},
            "model": {"mean": 0.5, "sigma": 1.5}}
    units = sweeps.quantity_units(base, [{"model.mean": 0.0}, {"model.mean": 1.0}])
    expected = {q.name: q.unit for q in build(base, "s").quantities}
    assert units == expected and "nats" in units.values() and set(units.values()) != {"nats"}
