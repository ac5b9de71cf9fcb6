"""Constants shared by the tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")

GAN = {
    "estimand": "gan_discriminator",
    "data": {"dist": "norm", "loc": 0.0, "scale": 1.0},
    "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0},
    "discriminator": {"logit": [-0.5, 1.5]},
    "real_fraction": 0.5,
}


def snakemake(directory, *args):
    """Run this repository's workflow with ``directory`` as its working directory (config.yaml there)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(directory),
         *map(str, args)],
        capture_output=True, text=True,
    )


def first_problem(config):
    """What snakemake would stop with, in its order: schema, defaults, estimands, sweeps (None: no problem)."""
    from snakemake.utils import validate

    from mcloss.errors import ConfigError
    from mcloss.pipeline import sweeps
    from mcloss.pipeline.config import check, schema_error

    problem = schema_error(config, SCHEMA)
    if problem is not None:
        return str(problem)
    validate(config, SCHEMA)
    try:
        check(config, SCHEMA)
        sweeps.check(config)
    except ConfigError as err:
        return str(err)
    return None


def assert_one_line_error(message, key, allowed):
    """``message`` is one line naming ``key`` and, after 'allowed:', mentioning ``allowed``."""
    assert message is not None
    assert message.startswith(f"config key {key}:"), message
    assert "allowed:" in message and allowed in message.split("allowed:", 1)[1], message
    assert "\n" not in message


def copy_repository(destination, extra=()):
    """A copy of the workflow and its package (no results, .venv or .git), plus the ``extra`` top-level entries."""
    import shutil

    destination.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "profiles", "configs", *extra):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy2(source, destination / name)
    return destination
