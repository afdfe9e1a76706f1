"""The package version, single-sourced for pyproject.toml and ``insole --version``."""

__version__ = "0.1.0"
