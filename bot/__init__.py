"""MIRT sales bot: settings, logging, the CLI and the assembly of the one process."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mirt-bot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
