"""Acquisition: record insoles from serial ports, sockets and pseudo-terminals; a virtual insole.

- :mod:`~insole.acquisition.ports`: open a port by URL (pyserial's
  ``serial_for_url``), list the serial ports of this machine;
- :mod:`~insole.acquisition.readers`: stream decoders (protocol v1, the DIY CSV
  dialects, auto-detection) and the reader thread per port;
- :mod:`~insole.acquisition.clock`: device clock -> host time, the robust
  online fit, the left/right synchronisation error;
- :mod:`~insole.acquisition.recorder`: :class:`Recorder`, ports to a crash-safe
  SWMR recording (``insole record``);
- :mod:`~insole.acquisition.emulator`: :class:`Emulator`, the virtual insole
  (``insole emulate``);
- :mod:`~insole.acquisition.check`: the channel-to-sensor walk-through
  (``insole check``) and :class:`ChannelMap`.

docs/recording.md describes the whole workflow.
"""

from insole.acquisition.check import ChannelCheck, ChannelMap
from insole.acquisition.clock import ClockFit, ClockModel, SyncReport, sync_report
from insole.acquisition.emulator import Emulator, EmulatorConfig
from insole.acquisition.ports import PortInfo, list_ports, open_port
from insole.acquisition.readers import AutoStream, CsvStream, PortReader, V1Stream, make_decoder
from insole.acquisition.recorder import (
    PortSpec,
    Recorder,
    RecorderStatus,
    RecordResult,
    format_status,
)

__all__ = [
    "AutoStream",
    "ChannelCheck",
    "ChannelMap",
    "ClockFit",
    "ClockModel",
    "CsvStream",
    "Emulator",
    "EmulatorConfig",
    "PortInfo",
    "PortReader",
    "PortSpec",
    "RecordResult",
    "Recorder",
    "RecorderStatus",
    "SyncReport",
    "V1Stream",
    "format_status",
    "list_ports",
    "make_decoder",
    "open_port",
    "sync_report",
]
