"""Errors raised by the project's own code, so callers can tell bad input from bugs."""


class DataError(ValueError):
    """Input data (a month file, a column, a split) is unusable; the message names it."""


class SourceError(DataError):
    """A monthly file could not be fetched from the configured source."""


class ConfigError(ValueError):
    """A pipeline variable or setting is invalid; the message names it."""
