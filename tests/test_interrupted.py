"""An interrupted run (kill -9 in the middle of `simulate`), resumed as the README says (--unlock, then the same
command with --rerun-incomplete), gives the same bytes."""

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from common import GAN, ROOT

pytestmark = pytest.mark.slow

CONFIG = {
    "seed": 5,
    "replicates": 4,
    "replicates_per_job": 2,
    # Large enough that each simulate job computes for a second or more: there is a middle to kill it in.
    "batch_sizes": {"min": 1, "max": 20_000_000, "per_decade": 2},
    "analysis": {"slope_min_n": 10, "bootstrap": 20, "paths": 2, "iid_samples": 1000},
    "scenarios": {"gan": GAN},
}
TARGET = "results/tables/summary.csv"
COMMAND = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2", TARGET]


def workdir(path):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    return path


def test_killed_run_resumes_to_identical_results(tmp_path):
    reference = workdir(tmp_path / "uninterrupted")
    done = subprocess.run(COMMAND, cwd=reference, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    run = workdir(tmp_path / "interrupted")
    log = run / "results" / "logs" / "simulate" / "gan" / "replicates_0-2.log"
    output = run / "results" / "simulations" / "gan" / "replicates_0-2.npz"
    process = subprocess.Popen(COMMAND, cwd=run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        # The job logs its first line once its imports are done, right before it computes.
        while not (log.exists() and "replicates 0-1" in log.read_text()):
            assert process.poll() is None, "the run ended before simulate started"
            assert time.monotonic() < deadline, "simulate did not start"
            time.sleep(0.01)
        marked = list((run / ".snakemake" / "incomplete").iterdir())
        os.killpg(process.pid, signal.SIGKILL)   # snakemake and its jobs, as a power cut would
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert marked, "simulate's output was not marked incomplete while it ran"
    assert "done in" not in log.read_text(), "killed after simulate finished: not the middle"
    assert not output.exists()                    # written atomically: nothing half-written at its path

    # Snakemake names one of the two remedies the README gives: the lock (always left by a kill), or, checked
    # before the lock, outputs all written by a job that was killed before Snakemake saw it finish (another
    # simulate job may end in the same instant; it happened on CI).
    stopped = subprocess.run(COMMAND, cwd=run, capture_output=True, text=True)
    assert stopped.returncode != 0
    assert "--unlock" in stopped.stderr or "--rerun-incomplete" in stopped.stderr, stopped.stderr[-2000:]
    unlock = subprocess.run(COMMAND + ["--unlock"], cwd=run, capture_output=True, text=True)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    resumed = subprocess.run(COMMAND + ["--rerun-incomplete"], cwd=run, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert (run / TARGET).read_bytes() == (reference / TARGET).read_bytes()
    assert output.read_bytes() == (reference / output.relative_to(run)).read_bytes()
