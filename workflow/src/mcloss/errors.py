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
