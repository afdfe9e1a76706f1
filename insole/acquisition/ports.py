"""Serial ports by URL (pyserial's ``serial_for_url``), port listing, and reading what has arrived.

Any URL pyserial knows works: ``/dev/ttyUSB0``, ``COM3``, a pseudo-terminal
``/dev/pts/N``, ``socket://host:port``, ``loop://``, ``spy://PORT?file=trace.txt``,
``rfc2217://host:port``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from insole.exceptions import AcquisitionError

#: Default read timeout: how long one read waits for the first byte, in seconds.
READ_TIMEOUT_S = 0.05


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def open_port(url: str, baud: int = 115200, *, timeout_s: float = READ_TIMEOUT_S) -> Any:
    """Open a serial port (or anything pyserial opens by URL) for reading.

    Parameters
    ----------
    url : str
        Device path, COM name or pyserial URL (``socket://``, ``loop://``, ``spy://``, ...).
    baud : int
        Baud rate (ignored by pseudo-terminals, sockets and USB CDC devices).
    timeout_s : float
        Read timeout: a read returns after this long without data.

    Returns
    -------
    serial.SerialBase
        The open port.

    Raises
    ------
    AcquisitionError
        The port does not exist, is busy or refuses; the message is one line.
    """
    import serial

    if not url:
        raise AcquisitionError("no port given; name one (e.g. /dev/ttyUSB0, COM3, socket://host:port), see 'insole ports'")
    if not isinstance(baud, int) or baud <= 0:
        raise AcquisitionError(f"baud rate must be a positive integer, not {baud!r}")
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=timeout_s)
    except (serial.SerialException, OSError, ValueError) as exc:
        hint = "check the name with 'insole ports'" if "://" not in url else "check the URL and that the other end is listening"
        raise AcquisitionError(f"cannot open port {url}: {_short(exc)}; {hint}") from None


def _is_socket(port: Any) -> bool:
    return type(port).__module__.endswith("protocol_socket")


def read_available(port: Any, max_bytes: int = 1 << 16) -> bytes:
    """Bytes that have arrived, waiting at most the port's timeout for the first one.

    Returns as soon as any byte is there (so the receive time stays close to
    the arrival time), then keeps taking what is buffered until nothing is
    left or ``max_bytes`` are read.  An empty result means the timeout passed without data.

    Raises
    ------
    serial.SerialException
        The port was closed or the device disappeared (pyserial's errors).
    """
    first = port.read(1)
    if not first:
        return b""
    if _is_socket(port):  # a socket reports only "readable", not how much: read without waiting
        timeout = port.timeout
        port.timeout = 0
        try:
            rest = port.read(max_bytes - 1)
        finally:
            port.timeout = timeout
        return first + rest
    # drain: a pseudo-terminal buffers only 4 KB, so keep reading while bytes keep coming
    fd = getattr(port, "fd", None)  # a POSIX port: bytes counted by in_waiting are read without another select
    direct = isinstance(fd, int) and type(port).read is _posix_read()
    parts = [first]
    total = 1
    while total < max_bytes:
        n = port.in_waiting
        if not n:
            break
        chunk = os.read(fd, min(n, max_bytes - total)) if direct else port.read(min(n, max_bytes - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _posix_read() -> Any:
    try:
        from serial.serialposix import Serial
    except ImportError:  # not POSIX
        return None
    return Serial.read


@dataclass(frozen=True)
class PortInfo:
    """One serial port found on this machine.

    Attributes
    ----------
    device : str
        What to pass to ``insole record`` (``/dev/ttyUSB0``, ``COM3``).
    description : str
        The USB product description, or ``n/a``.
    hwid : str
        Hardware id (``USB VID:PID=10C4:EA60 SER=0001 LOCATION=1-1``).
    manufacturer : str or None
    serial_number : str or None
    vid, pid : int or None
        USB vendor and product id.
    """

    device: str
    description: str
    hwid: str
    manufacturer: str | None = None
    serial_number: str | None = None
    vid: int | None = None
    pid: int | None = None


def list_ports(*, include_links: bool = False) -> list[PortInfo]:
    """Serial ports on this machine with their USB descriptions, sorted by device name."""
    from serial.tools import list_ports as lp

    out = []
    with contextlib.suppress(OSError):
        for p in lp.comports(include_links=include_links):
            out.append(PortInfo(p.device, p.description or "n/a", p.hwid or "n/a", p.manufacturer, p.serial_number,
                                p.vid, p.pid))
    return sorted(out, key=lambda p: p.device)


__all__ = ["READ_TIMEOUT_S", "PortInfo", "list_ports", "open_port", "read_available"]
