"""``insole`` with the acquisition commands, whether or not insole/cli/__init__.py registers them yet.

Run as a script (``python tests/acquisition/insole_cli.py record ...``) it is the
``insole`` command; :func:`main` gives the group for ``CliRunner``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main():
    """The ``insole`` click group with record, emulate, ports and check."""
    from insole.cli import check, emulate, ports, record
    from insole.cli import main as group

    for name, mod in (("record", record), ("emulate", emulate), ("ports", ports), ("check", check)):
        if name not in group.commands:
            group.add_command(mod.cli, name)
    return group


SCRIPT = str(Path(__file__).resolve())

if __name__ == "__main__":
    sys.exit(main()(prog_name="insole"))
