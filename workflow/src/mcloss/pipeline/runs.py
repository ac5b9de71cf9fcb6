"""A run knows its config: where a run writes (its folder), what it was (results/.../config.yaml), and whether a
folder already holds another run.

A run is named by the config key ``run_name``. The run named ``default`` writes to ``results/``; a run of any
other name to ``results/<run_name>/``, so that runs of different configs never share a file. Every run writes
the resolved config it ran to ``<folder>/config.yaml`` (with the command line and the code version as comments
at the top), which is a config file of its own: ``--configfile <folder>/config.yaml --replace-workflow-config``
runs it again.

Another run: a folder holds another run when its ``config.yaml`` names a scenario of the config's own (not a
sweep point) that this config lacks. Such a run's outputs would stay beside this one's, so the workflow stops
before any job with one line saying how to proceed. Changing values (seed, replicates, batch sizes, a
scenario's parameters, sweeps, claims) or adding scenarios is the same run: Snakemake reruns what they reach.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import yaml

from mcloss import __version__
from mcloss.errors import ConfigError

DEFAULT = "default"
#: Names a run may not take: the folders and files of the default run in results/.
RESERVED = ("benchmarks", "claims", "exact", "figures", "logs", "report", "simulations", "sweeps", "tables",
            "verdicts", "SUMMARY", "config", "README")


def folder(run_name: str) -> str:
    """Where the run named ``run_name`` writes: results/ for the default run, results/<run_name>/ for any other."""
    return "results" if run_name == DEFAULT else f"results/{run_name}"


def relocate(text, run_folder: str):
    """``text`` with every path under results/ moved into ``run_folder`` (a claim's evidence names its files as the
    default run's); anything but a string is returned as it is."""
    if not isinstance(text, str) or run_folder == "results":
        return text
    return re.sub(r"(?<![\w/.-])results/", f"{run_folder}/", text)


def check_name(run_name: str) -> None:
    if run_name.split(".")[0] in RESERVED:
        raise ConfigError("run_name", f"{run_name!r} is a folder or file of the default run in results/",
                          f"any other name (letters, digits, _ . -), e.g. {run_name}_run")


def config_hash(config: dict) -> str:
    """A stable short hash of the resolved config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def code_version(root) -> str:
    """The package version and, in a git checkout, its commit (with ``+dirty`` when files differ from it)."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return f"mcloss {__version__}"
    if commit.returncode != 0:
        return f"mcloss {__version__}"
    return f"mcloss {__version__}, git {commit.stdout.strip()}{'+dirty' if dirty.stdout.strip() else ''}"


def rerun_command(run_folder: str) -> str:
    """The command that runs this run again, from the config it wrote."""
    return (f"snakemake --cores N --configfile {run_folder}/config.yaml --replace-workflow-config")


def config_args(values: dict) -> list[str]:
    """``--config key=value ...`` for the command line's --config values (nested ones as YAML flow)."""
    if not values:
        return []
    shown = [f"{key}={yaml.safe_dump(value, default_flow_style=True, width=1000).strip()}"
             if isinstance(value, (dict, list)) else f"{key}={value}" for key, value in values.items()]
    return ["--config", *shown]


def config_text(config: dict, command: str, version: str) -> str:
    """``<folder>/config.yaml``: provenance as comments, then the resolved config as YAML."""
    head = [
        "# The resolved config of this run (every default filled in), written by rule run_config.",
        f"# run: {config.get('run_name', DEFAULT)}, config hash {config_hash(config)}",
        f"# command: {command}",
        f"# code: {version}",
        f"# Run it again with: {rerun_command(folder(config.get('run_name', DEFAULT)))}",
    ]
    return "\n".join(head) + "\n" + yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=110)


def other_run(run_folder: str, scenarios, command: str) -> ConfigError | None:
    """Why ``run_folder`` holds another run than one of ``scenarios`` (None: it does not), as a ConfigError."""
    path = Path(run_folder) / "config.yaml"
    if path.is_file():
        try:
            stored = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError:
            return None
        held = list(stored.get("scenarios") or {}) if isinstance(stored, dict) else []
        source = f"{run_folder}/config.yaml"
    else:
        # A run made before runs wrote their config: its scenarios are its exact values' files (sweep points,
        # named <sweep>__<key>=<value>, aside).
        held = [p.stem for p in sorted(Path(run_folder).glob("exact/*.json")) if not ("__" in p.stem and "=" in p.stem)]
        source = f"{run_folder}/exact/, written before runs recorded their config"
    missing = [name for name in held if name not in scenarios]
    if not missing:
        return None
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return ConfigError("run_name", f"{run_folder}/ holds another run ({source}), whose scenarios "
                       f"{shown} are not in this config",
                       f"a name of its own for this run ({command} --config run_name=NAME writes to results/NAME/), "
                       f"or delete {run_folder}/ first to replace that run")


def stale_report(run_folder: str, config: dict) -> ConfigError | None:
    """Why a report of ``config`` would embed another run's outputs (None: ``run_folder`` holds this config's run)."""
    path = Path(run_folder) / "config.yaml"
    if not path.is_file():
        return None
    stored = yaml.safe_load(path.read_text()) or {}
    if config_hash(stored) == config_hash(config):
        return None
    return ConfigError("run_name", f"{run_folder}/ holds the run of another config (hash {config_hash(stored)}; "
                       f"this config: {config_hash(config)}), so its report would describe one run and embed another",
                       f"a report of the run it holds (--configfile {run_folder}/config.yaml "
                       "--replace-workflow-config), or run this config first")
