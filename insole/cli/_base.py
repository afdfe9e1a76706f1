"""Shared CLI plumbing: the error policy and common options.

User errors (:class:`insole.exceptions.InsoleError`, bad files, full disks)
become one line on stderr and exit code 2; nothing prints a traceback unless
``INSOLE_DEBUG=1`` is set.
"""

from __future__ import annotations

import errno
import os
import sys

import click

from insole.exceptions import InsoleError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class InsoleGroup(click.Group):
    """A click group that turns library errors into one-line messages."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except InsoleError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except OSError as exc:
            if os.environ.get("INSOLE_DEBUG"):
                raise
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                _fail(f"disk full ({exc.filename or 'output'}); free space and try again", 2)
            _fail(f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc), 2)
        except Exception as exc:  # a bug: still one line, with the way to see more
            if os.environ.get("INSOLE_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with INSOLE_DEBUG=1 and report it)", 1)


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def port_specs(urls, left_url: str | None, right_url: str | None) -> list:
    """The ports of ``insole record`` / ``insole live``: plain URLs plus ``--left`` / ``--right`` ones."""
    from insole.acquisition.recorder import PortSpec

    specs = [PortSpec(u) for u in urls]
    if left_url:
        specs.append(PortSpec(left_url, "left"))
    if right_url:
        specs.append(PortSpec(right_url, "right"))
    if not specs:
        raise click.UsageError("give a port URL, or --left URL and --right URL (see 'insole ports')")
    return specs


overwrite_option = click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")
