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
