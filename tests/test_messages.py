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


# --- where a value came from ---------------------------------------------------------------------------
def test_the_hint_names_the_source_that_set_the_key():
    from mcloss.pipeline.config import source_hint

    sources = [("--config", {"replicates": 3}),
               ("--configfile mine.yaml", {"scenarios": {"plans__model.mean=1": {"model": {"mean": "x"}}}}),
               ("config.yaml", {"batch_sizes": {"max": 10}, "scenarios": {"g": {"real_fraction": 0.5}}})]
    problem = ConfigError("scenarios.plans__model.mean=1.model.mean", "'x' is not of type 'number'")
    assert source_hint(problem, sources).endswith(
        "(from --configfile mine.yaml, key scenarios.plans__model.mean=1.model.mean)")
    problem = ConfigError("batch_sizes.max", "5 is smaller than batch_sizes.min = 8")
    assert source_hint(problem, sources).endswith("(from config.yaml, key batch_sizes.max)")
    problem = ConfigError("replicates", "'x' is not of type 'integer'")
    assert "(from --config; nested keys are written --config 'replicates={key: value}'" in source_hint(problem, sources)
    # The deepest match wins: the file that set the scenario's own key, not the one that only named the scenario.
    both = [("--configfile a.yaml", {"scenarios": {"g": {"generator": {}}}}),
            ("config.yaml", {"scenarios": {"g": {"real_fraction": 2}}})]
    problem = ConfigError("scenarios.g.real_fraction", "too large")
    assert source_hint(problem, both).endswith("(from config.yaml, key scenarios.g.real_fraction)")
    assert source_hint(ConfigError("--configfile", "no such file"), sources) == "config key --configfile: no such file"


def _quick(tmp_path, text):
    from common import ROOT

    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text())
    (tmp_path / "mine.yaml").write_text(text)


def test_snakemake_names_the_configfile_and_says_when_it_is_merged(tmp_path):
    from common import ROOT, snakemake

    quick = (ROOT / "configs" / "quick.yaml").read_text()
    _quick(tmp_path, quick.replace("real_fraction: 0.5", "real_fraction: 1.5", 1))
    merged = snakemake(tmp_path, "--cores", 1, "--dry-run", "--configfile", tmp_path / "mine.yaml")
    errors = [line for line in merged.stderr.splitlines() if line.startswith("config error:")]
    assert errors and errors[0].endswith("(from --configfile mine.yaml, key scenarios.gan_balanced.real_fraction)"), \
        merged.stderr[-2000:]
    assert "--config;" not in errors[0]
    said = [line for line in merged.stderr.splitlines() if "is merged into config.yaml" in line]
    assert len(said) == 1 and "--replace-workflow-config" in said[0], merged.stderr[-2000:]
    alone = snakemake(tmp_path, "--cores", 1, "--dry-run", "--configfile", tmp_path / "mine.yaml",
                      "--replace-workflow-config")
    assert "is merged into" not in alone.stderr
    assert "(from --configfile mine.yaml, key scenarios.gan_balanced.real_fraction)" in alone.stderr


# --- numbers written 1e5 ----------------------------------------------------------------------------------
def test_numbers_written_1e5_are_integers_where_the_schema_wants_one(tmp_path):
    import copy

    from common import GAN, SCHEMA
    from mcloss.pipeline.config import normalise_numbers, schema_error
    from mcloss.pipeline.project import Project

    config = {"replicates": "2e2", "batch_sizes": {"min": 1.0, "max": "1e5", "per_decade": 8},
              "scenarios": {"g": {**copy.deepcopy(GAN), "real_fraction": "2.5e-1"}}}
    normalise_numbers(config, SCHEMA)
    assert config["replicates"] == 200 and type(config["replicates"]) is int
    assert config["batch_sizes"] == {"min": 1, "max": 100000, "per_decade": 8}
    assert all(type(v) is int for v in config["batch_sizes"].values())
    assert config["scenarios"]["g"]["real_fraction"] == 0.25
    assert schema_error(config, SCHEMA) is None
    # Not a whole number: refused with the usual one line.
    bad = normalise_numbers({"batch_sizes": {"max": "1.5e0"}}, SCHEMA)
    assert str(schema_error(bad, SCHEMA)).startswith("config key batch_sizes.max: 1.5 is not a whole number; allowed:")
    # The mcloss command reads a config file's 1e5 as the pipeline does (YAML 1.1 reads it as the string '1e5').
    (tmp_path / "c.yaml").write_text("batch_sizes: {max: 1e5}\nscenarios:\n  g: {estimand: binary_cross_entropy, "
                                     "labels: {p: 0.3}, model: {p: 0.6}}\n")
    project = Project.from_file(tmp_path / "c.yaml")
    assert project.config["batch_sizes"]["max"] == 100000 and project.grid("g")[-1] == 100000


# --- YAML errors with their line ----------------------------------------------------------------------------
def test_a_yaml_error_names_its_line_and_column(tmp_path):
    from common import snakemake
    from mcloss.cli import main
    from mcloss.pipeline.config import load_config_file

    (tmp_path / "config.yaml").write_text("seed: 1\nscenarios:\n  a: {estimand: [x\n")
    with pytest.raises(ConfigError) as err:
        load_config_file(tmp_path / "config.yaml")
    assert "is not valid YAML at line 4, column 1:" in str(err.value) and "\n" not in str(err.value)
    assert main(["exact", "--configfile", str(tmp_path / "config.yaml")]) == 2
    run = snakemake(tmp_path, "--cores", 1, "--dry-run")
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("config error: config key config.yaml: config.yaml is not valid YAML at "
                                          "line 4, column 1:"), run.stderr[-2000:]
