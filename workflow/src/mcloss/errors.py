"""The one exception a bad configuration raises."""


class ConfigError(ValueError):
    """A configuration value that cannot be used.

    The message is one line: ``config key <dotted.key>: <what is wrong>; allowed: <what is>``.
    """

    def __init__(self, key: str, problem: str, allowed: str | None = None):
        self.key = key
        message = f"config key {key}: {problem}"
        if allowed:
            message += f"; allowed: {allowed}"
        super().__init__(message)


class CorruptFileError(RuntimeError):
    """An intermediate file that exists but cannot be read (truncated, overwritten, not the format).

    The message is one line naming the file and the command that recovers: the same snakemake
    command with ``--forcerun <file>``, which redoes the job that writes it and every job that reads it.
    (Deleting the file is not enough: Snakemake does not remake a missing intermediate file whose
    readers' outputs exist and are newer.)
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        super().__init__(f"cannot read {self.path} ({problem}): it is truncated or corrupt; recover with the same "
                         f"snakemake command plus --forcerun {self.path} (e.g. snakemake --cores 2 --forcerun "
                         f"{self.path}), which redoes the job that writes it and those that read it")
