"""The cache of finished sweep points (mcloss.pipeline.point_cache): an edited sweep recomputes only what changed."""

import copy
import re
from pathlib import Path

import pytest
import yaml

from common import GAN, snakemake
from mcloss.pipeline import point_cache, sweeps

CONFIG = {
    "seed": 5,
    "replicates": 6,
    "replicates_per_job": 3,   # two blocks a point
    "batch_sizes": {"min": 1, "max": 1000, "per_decade": 3},
    "analysis": {"slope_min_n": 10, "bootstrap": 20, "paths": 2, "tail_samples": 10000},
    "claims": {},
    "scenarios": {"bal": copy.deepcopy(GAN)},
    # Four points in one job (points_per_job defaults to 25).
    "sweeps": {"shift": {"scenario": "bal", "vary": {"generator.loc": [0.0, 0.5, 1.0, 2.0]}, "curve_points": 5}},
}
LOG = re.compile(r"point (\S+): (computed|reused from the cache)")


def point_files(directory, config):
    """Every file the sweep_points job writes per point, relative path -> bytes (CPU seconds left out)."""
    found = {}
    for point in sweeps.expand_all(config)["shift"].points:
        for folder in (f"results/simulations/{point.name}", f"results/tables/scenarios/{point.name}"):
            for path in sorted((directory / folder).glob("*")):
                if not path.name.endswith(".seconds.csv"):
                    found[str(path.relative_to(directory))] = path.read_bytes()
        found[f"results/exact/{point.name}.json"] = (directory / f"results/exact/{point.name}.json").read_bytes()
    return found


def run(directory, config):
    """Make the sweep's point tables with ``config``; return {point: 'computed' | 'reused ...'} from the job logs."""
    (directory / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    names = [p.name for p in sweeps.expand_all(config)["shift"].points]
    targets = [f"results/tables/scenarios/{name}/summary.csv" for name in names]
    done = snakemake(directory, "--cores", "1", *targets)
    assert done.returncode == 0, done.stderr[-3000:]
    said = {}
    for log in (directory / "results" / "logs" / "sweep_points" / "shift").glob("*.log"):
        said.update(LOG.findall(log.read_text()))
        log.unlink()   # the next run's logs only
    return said


@pytest.mark.slow
def test_only_the_edited_or_inserted_point_is_recomputed_and_the_cache_is_keyed_and_checked(tmp_path):
    # One directory for every step (each step is a Snakemake run of ~10 s: they share the first run).
    directory = tmp_path / "run"
    directory.mkdir()
    first = run(directory, CONFIG)
    assert set(first.values()) == {"computed"} and len(first) == 4
    before = point_files(directory, CONFIG)

    edited = copy.deepcopy(CONFIG)
    edited["sweeps"]["shift"]["vary"]["generator.loc"] = [0.0, 0.5, 1.25, 2.0]
    second = run(directory, edited)
    assert second == {"shift__generator.loc=1.25": "computed", "shift__generator.loc=0": "reused from the cache",
                      "shift__generator.loc=0.5": "reused from the cache",
                      "shift__generator.loc=2": "reused from the cache"}
    after = point_files(directory, edited)
    kept = {path: data for path, data in before.items() if "loc=1/" not in path and "loc=1." not in path}
    assert kept and all(after[path] == data for path, data in kept.items())

    inserted = copy.deepcopy(edited)
    inserted["sweeps"]["shift"]["vary"]["generator.loc"] = [0.0, 0.25, 0.5, 1.25, 2.0]
    third = run(directory, inserted)
    assert [name for name, how in third.items() if how == "computed"] == ["shift__generator.loc=0.25"]
    assert len(third) == 5

    # Reuse gives the bytes of recomputation: every reused point's files are those its first run computed (`kept`
    # above), and the reused points' are so again here, after a second edit.
    assert all(point_files(directory, inserted)[path] == data for path, data in kept.items())

    # A changed setting (the bootstrap changes only the tables) misses the cache: every point is recomputed.
    changed = copy.deepcopy(CONFIG)
    changed["analysis"]["bootstrap"] = 21
    assert set(run(directory, changed).values()) == {"computed"}
    # Damage one entry of the first config, then go back to it: that point is recomputed, the others copied.
    entries = sorted(p for p in (directory / point_cache.CACHE_DIR).iterdir() if "loc=0.5" in (p / "manifest.json")
                     .read_text())
    entry = next(e for e in entries if '"bootstrap": 20' in (e / "manifest.json").read_text())
    npz = next(entry.glob("*.npz"))
    npz.write_bytes(npz.read_bytes()[:-10])
    back = run(directory, CONFIG)
    assert back["shift__generator.loc=0.5"] == "computed"
    assert sorted(how for how in back.values()) == ["computed"] + ["reused from the cache"] * 3


def test_the_key_changes_with_every_setting_and_the_code():
    settings = {"scenario": "s", "spec": {"a": 1.0}, "code": "c", "seed": 1, "chunk_size": 1024,
                "grid": [1, 10], "blocks": [[0, 3]], "scenario_key": [1, 2], "tails": {"samples": 10}}
    key = point_cache.point_key(settings)
    assert key == point_cache.point_key(dict(reversed(list(settings.items()))))   # order of keys does not matter
    for name, other in [("scenario", "t"), ("spec", {"a": 1.5}), ("code", "d"), ("seed", 2), ("chunk_size", 2048),
                        ("grid", [1, 11]), ("blocks", [[0, 2], [2, 3]]), ("scenario_key", [1, 3]),
                        ("tails", {"samples": 11})]:
        assert point_cache.point_key({**settings, name: other}) != key, name


def test_restore_copies_a_stored_entry_and_refuses_a_tampered_one(tmp_path):
    made = {"a.npz": tmp_path / "made" / "a.npz", "b.csv": tmp_path / "made" / "b.csv"}
    made["a.npz"].parent.mkdir()
    made["a.npz"].write_bytes(b"\x00\x01" * 100)
    made["b.csv"].write_text("x\n1\n")
    root = tmp_path / "cache"
    point_cache.store("k", made, {"scenario": "s"}, root=root)
    wanted = {name: tmp_path / "out" / Path(path).name for name, path in made.items()}
    assert point_cache.restore("k", wanted, root=root)
    assert all(wanted[n].read_bytes() == made[n].read_bytes() for n in made)
    assert not point_cache.restore("other", wanted, root=root)
    assert not point_cache.restore("k", {"a.npz": wanted["a.npz"]}, root=root)   # other files than stored
    (root / "k" / "b.csv").write_text("x\n2\n")
    assert not point_cache.restore("k", wanted, root=root)
    assert not list(root.glob(".*partial"))
