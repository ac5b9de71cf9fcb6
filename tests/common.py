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
