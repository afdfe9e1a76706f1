"""``python -m insole``: the same as the ``insole`` command."""

from insole.cli import main

if __name__ == "__main__":
    main()
