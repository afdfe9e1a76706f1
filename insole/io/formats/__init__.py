"""One module per file format; each exposes ``FORMAT`` (a :class:`insole.io.FormatSpec`)."""
