"""--config values typed as a YAML file would type them, the hint for nested keys, and code hashes."""

from common import ROOT
from mcloss.errors import ConfigError
from mcloss.pipeline import codehash
from mcloss.pipeline.config import override_hint, typed_overrides


def test_nested_override_values_are_typed_like_yaml():
    # What Snakemake's BaseLoader leaves: every scalar inside a mapping or list a string.
    given = {"batch_sizes": {"max": "10000", "per_decade": "4"}, "replicates": 1000,
             "scenarios": {"s": {"real_fraction": "0.25", "discriminator": {"logit": ["0", "-1.5"]},
                                 "data": {"dist": "norm"}, "as_typeset": "true", "composition": "random"}},
             "chunk": {"size": "1e5"}, "seed": "abc"}
    typed = typed_overrides(given)
    assert typed["batch_sizes"] == {"max": 10000, "per_decade": 4}
    assert isinstance(typed["batch_sizes"]["max"], int)
    scenario = typed["scenarios"]["s"]
    assert scenario["real_fraction"] == 0.25 and scenario["discriminator"]["logit"] == [0, -1.5]
    assert scenario["data"]["dist"] == "norm" and scenario["as_typeset"] is True
    assert scenario["composition"] == "random"
    assert typed["chunk"]["size"] == 100000.0
    # Top-level values are Snakemake's own parse and stay as they are.
    assert typed["replicates"] == 1000 and typed["seed"] == "abc"


def test_hint_only_for_keys_set_on_the_command_line():
    problem = ConfigError("batch_sizes.max", "'ten' is not of type 'integer'", "a value of type integer")
    assert "nested keys are written --config 'batch_sizes={key: value}'" in override_hint(problem, {"batch_sizes": {}})
    assert override_hint(problem, {"replicates": 3}) == str(problem)
    assert "\n" not in override_hint(problem, {"batch_sizes": {}})


def relative(paths):
    return {str(p.relative_to(codehash.PACKAGE_DIR)) for p in paths if p.is_relative_to(codehash.PACKAGE_DIR)}


def test_closure_follows_the_package_imports():
    simulate = relative(codehash.closure(ROOT / "workflow" / "scripts" / "simulate.py"))
    assert {"simulate/engine.py", "laws/streams.py", "estimands/base.py", "pipeline/scripting.py"} <= simulate
    assert "judge/claims.py" not in simulate and "estimands/gan.py" not in simulate
    bce = relative(codehash.closure(codehash.module_file("mcloss.estimands.binary_cross_entropy")))
    assert "estimands/cross_entropy.py" in bce and "estimands/gaussian_nll.py" not in bce


def test_hash_differs_by_estimand_and_script():
    script = ROOT / "workflow" / "scripts" / "simulate.py"
    gan = codehash.source_hash(script, "mcloss.estimands.gan")
    assert gan == codehash.source_hash(script, "mcloss.estimands.gan")
    assert gan != codehash.source_hash(script, "mcloss.estimands.gaussian_nll")
    assert codehash.source_hash(script) != codehash.source_hash(ROOT / "workflow" / "scripts" / "claims.py")
