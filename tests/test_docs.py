"""Every command in README.md and docs/*.md runs.

Which text is a command: every line of a fenced block marked ```bash, ```sh, ```shell or ```console, or
unmarked (```), and every inline code span that starts with `.venv/bin/`. Pages added later are picked up
by the same rule: a new command runs here unless it is listed below.

How it runs: in document order (README first, then docs/ by name), as a shell command, in a temporary
copy of the repository whose `.venv` is this one's. A fenced ```yaml block whose first line is
`# file: NAME` is written to NAME in that copy first (a page's example config). Exceptions, each with its
reason, in three lists:

- DRY_RUN: snakemake commands that would run the full default pipeline (8 minutes) or a sweep of it are
  run with --dry-run appended: that checks the command line, the config and every override it names, and
  the DAG, not the jobs; the jobs are run end to end by test_pipeline.py, test_standalone.py and
  test_interrupted.py on small configs.
- EQUIVALENT: command -> (what runs instead, why). The Quick start's commands and the benchmark are run as
  equivalents on a tiny config.
- ELSEWHERE: command -> where it is run (a CI step or another test); not run here.

`configs/quick.yaml` runs for real, on a copy shrunk to its scenario gan_balanced, 8 replicates and n up to
1000 (the full one takes a minute); so do every `mcloss` command, `--unlock` and the README's `cp` of the figure.
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from common import ROOT, copy_repository

pytestmark = pytest.mark.slow

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}
QUICK_START = "python3 -m venv .venv && .venv/bin/pip install -r requirements.lock -e . && "
TEST_COMMAND = ".venv/bin/python -m pytest -n 2 --dist loadfile"

DRY_RUN_PREFIX = ".venv/bin/snakemake"
# Snakemake commands that run for real (small or cheap); every other .venv/bin/snakemake command is a dry run.
REAL = {
    ".venv/bin/snakemake --cores 2 --configfile configs/quick.yaml --replace-workflow-config",
    ".venv/bin/snakemake --unlock",
}
EQUIVALENT = {
    QUICK_START + ".venv/bin/snakemake --cores 2": (
        ".venv/bin/snakemake --cores 2 --dry-run",
        "the environment is built by .ci/run with exactly this line; the default run takes 8 minutes, so its "
        "DAG and config checks run here as a dry run"),
    ".venv/bin/python benchmarks/run.py": (
        ".venv/bin/python benchmarks/run.py --rounds 1 --replicates 1 --peak-n 100000",
        "the same benchmark, 1 round of 1 replicate and one peak-memory job instead of 9 rounds and 4 jobs"),
    ".venv/bin/python benchmarks/startup.py": (
        ".venv/bin/python benchmarks/startup.py --base none --rounds 1 --job-rounds 1 --kinds simulate",
        "the same benchmark on this checkout alone (a copy has no git history to export the base commit from), "
        "1 round instead of 7 and 3, simulate jobs only"),
    ".venv/bin/python benchmarks/fitted.py": (
        ".venv/bin/python benchmarks/fitted.py --n-max 10000 --replicates 1 --rounds 1",
        "the same benchmark at n_max = 10^4 with 1 round of 1 replicate, instead of up to 10^6 with 3 rounds of 3"),
    ".venv/bin/snakemake --report results/report.html": (
        ".venv/bin/snakemake --report results/report.html --configfile configs/quick.yaml "
        "--replace-workflow-config",
        "a report needs a finished run: here the quick run's (the default one is not run here)"),
}
ELSEWHERE = {
    QUICK_START + TEST_COMMAND: ".ci/run runs exactly this line (running it here would recurse)",
    "timeout -k 20 330 bash tests/slurm_cluster.sh": ".ci/run runs it after the test suite (needs root, installs "
                                                     "Slurm)",
    ".venv/bin/snakemake --profile profiles/slurm": "needs a real cluster; tests/test_slurm_profile.py dry-runs the "
                                                    "profile and tests/slurm_cluster.sh runs it on a one-node cluster",
}
FENCE = re.compile(r"^( *)```(\S*)\s*$")
INLINE = re.compile(r"`(\.venv/bin/[^`]+)`")


def extract(page: Path):
    """(kind, text) in document order: ('command', line) or ('file', (name, content))."""
    found, block, info, indent = [], None, None, 0
    for line in page.read_text().splitlines():
        fence = FENCE.match(line)
        if fence and block is None:
            block, info, indent = [], fence.group(2).lower(), len(fence.group(1))
            continue
        if fence and block is not None:
            if info in SHELL_BLOCKS:
                found += [("command", c) for c in (b.strip().removeprefix("$ ") for b in block)
                          if c and not c.startswith("#")]
            elif info == "yaml" and block and block[0].strip().startswith("# file:"):
                name = block[0].split(":", 1)[1].strip()
                found.append(("file", (name, "\n".join(b[indent:] for b in block[1:]) + "\n")))
            block = None
            continue
        if block is not None:
            block.append(line)
        else:
            found += [("command", span.strip()) for span in INLINE.findall(line)]
    return found


def commands():
    return [(page, kind, item) for page in PAGES for kind, item in extract(page)]


def plan(command: str) -> tuple[str | None, str]:
    """What runs for a documented command, and why (None: run elsewhere)."""
    if command in ELSEWHERE:
        return None, ELSEWHERE[command]
    if command in EQUIVALENT:
        return EQUIVALENT[command]
    if command.startswith(DRY_RUN_PREFIX) and command not in REAL and "--dry-run" not in command.split():
        return command + " --dry-run", "dry run (see the module docstring)"
    return command, "as written"


def shrink(path: Path, keep: str) -> None:
    """Fewer replicates, smaller n and only the scenario ``keep``: the same command, seconds of work."""
    config = yaml.safe_load(path.read_text())
    config["scenarios"] = {keep: config["scenarios"][keep]}
    config["claims"] = {claim: names for claim, names in config.get("claims", {}).items() if names == [keep]}
    config.update(replicates=8, replicates_per_job=8, batch_sizes={"min": 1, "max": 1000, "per_decade": 4})
    config["analysis"] = {**config.get("analysis", {}), "bootstrap": 20, "iid_samples": 1000}
    path.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    repo = copy_repository(tmp_path_factory.mktemp("docs"), ("config.yaml", "benchmarks", "requirements.lock",
                                                             "pyproject.toml", "tests", "docs"))
    (repo / ".venv").symlink_to(ROOT / ".venv")
    shrink(repo / "configs" / "quick.yaml", "gan_balanced")
    (repo / "docs" / "quick_convergence.png").unlink()   # remade by the README's figure line
    return repo


def test_commands_are_found():
    found = [item for _, kind, item in commands() if kind == "command"]
    # The Quick start's two lines come first, exactly as CI runs the second.
    assert found[:2] == [QUICK_START + ".venv/bin/snakemake --cores 2", QUICK_START + TEST_COMMAND]
    assert ".venv/bin/snakemake --cores 2 --configfile configs/quick.yaml --replace-workflow-config" in found
    ci = (ROOT / ".ci" / "run").read_text()
    assert found[1] in ci and "timeout -k 20 330 bash tests/slurm_cluster.sh" in ci
    # Every listed exception is still a documented command: no stale entries.
    assert set(EQUIVALENT) | set(ELSEWHERE) <= set(found)


def test_readme_is_a_landing_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 150
    figure = re.search(r"!\[[^]]*\]\((docs/[^)]+\.png)\)", readme)
    assert figure and (ROOT / figure.group(1)).read_bytes().startswith(b"\x89PNG")
    for link in re.findall(r"\]\((docs/[^)#]+)\)", readme):
        assert (ROOT / link).exists() or link in {"docs/verdicts.md", "docs/iid-and-coverage.md",
                                                   "docs/input-dependent-models.md", "docs/outputs.md"}, link


def test_nothing_points_outside_the_repository():
    for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*"), *(ROOT / "workflow").rglob("*")]:
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            assert "shared/" not in path.read_text(errors="replace"), path


def test_readme_example_is_the_example_config():
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```yaml\n(.*?)```", readme, re.S).group(1)
    shown, example = yaml.safe_load(snippet), yaml.safe_load((ROOT / "configs" / "example.yaml").read_text())
    for key, value in shown.items():
        assert example[key] == value


STEPS = commands()


def _step_id(step) -> str:
    page, kind, item = step
    return f"{page.name}: " + (f"file {item[0]}" if kind == "file" else item)[:70]


@pytest.mark.parametrize("step", STEPS, ids=[_step_id(s) for s in STEPS])
def test_documented_command(sandbox, step):
    """One documented command, in document order (pytest keeps the order; later ones may use earlier output)."""
    page, kind, item = step
    if kind == "file":
        name, content = item
        (sandbox / name).write_text(content)
        return
    command, why = plan(item)
    if command is None:
        assert why   # ELSEWHERE: says where it runs
        return
    result = subprocess.run(["bash", "-c", command], cwd=sandbox, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (f"{page.name}: {item}\n(ran: {command}; {why})\n"
                                    + result.stdout[-1500:] + result.stderr[-3000:])
    (sandbox / "ran.txt").open("a").write(command + "\n")


def test_what_the_documented_commands_made(sandbox):
    """After the commands above: what the README promises of the quick run and of its figure line."""
    ran = (sandbox / "ran.txt").read_text().splitlines()
    assert len(ran) >= 15
    figure = sandbox / "docs" / "quick_convergence.png"
    run = sandbox / "results" / "quick"   # configs/quick.yaml sets run_name: quick
    assert figure.read_bytes() == (run / "figures" / "gan_balanced" / "convergence.png").read_bytes()
    claims = (run / "claims.md").read_text()
    assert "--configfile results/quick/config.yaml --replace-workflow-config" in claims
    assert not (sandbox / "results" / "claims.md").exists()   # nothing of the quick run in the default folder
    assert "shared/" not in claims and "| **not run** |" in claims
    assert "| `gan-misplaced-scaling` | **not run** |" not in claims   # judged from gan_balanced
    assert (sandbox / "replicate7.csv").read_text().startswith("n,")


def test_override_errors_are_one_line(sandbox):
    base = [".venv/bin/snakemake", "--cores", "2", "--dry-run", "--configfile", "configs/quick.yaml",
            "--replace-workflow-config", "--config"]
    cases = {
        "batch_sizes={max: ten}": "config key batch_sizes.max:",
        "batch_sizes={max: 10000": "config key batch_sizes:",
        "replicates=many": "config key replicates:",
        "replicates=": "config key replicates:",
        "replicate=10": "config key replicate: unknown key",
        "scenarios={gan_balanced: {real_fraction: 1.5}}": "config key scenarios.gan_balanced.real_fraction:",
        "scenarios={gan_balanced: {data: {dist: nope}}}": "config key scenarios.gan_balanced.data.dist:",
    }
    for override, key in cases.items():
        result = subprocess.run(base + [override], cwd=sandbox, capture_output=True, text=True)
        assert result.returncode != 0, override
        errors = [line for line in result.stderr.splitlines() if line.startswith("config error:")]
        assert len(errors) == 1 and key in errors[0], (override, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, override
        if key.split(":")[0].split(" ")[-1].split(".")[0] in ("batch_sizes", "scenarios"):
            assert "nested keys are written --config" in errors[0], errors[0]
    for override in ("batch_sizes={max: 1e4, per_decade: 4}",
                     "scenarios={gan_balanced: {real_fraction: 0.25, discriminator: {logit: [0, 2]}}}"):
        result = subprocess.run(base + [override], cwd=sandbox, capture_output=True, text=True)
        assert result.returncode == 0, (override, result.stderr[-2000:])
    # Snakemake's own parser rejects a dotted key before the workflow is read (documented in configuration.md).
    dotted = subprocess.run(base + ["batch_sizes.max=10000"], cwd=sandbox, capture_output=True, text=True)
    assert dotted.returncode != 0 and "valid identifier" in dotted.stdout + dotted.stderr


def test_dry_run_is_never_applied_to_real_commands():
    assert all(plan(c)[0] == c for c in REAL)
    assert shlex.split(plan(".venv/bin/snakemake --cores 2")[0])[-1] == "--dry-run"
