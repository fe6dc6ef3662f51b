"""Local simulator of the public upstreams (Open-Meteo archive, Overpass, S3 canopy tiles, geocoder,
basemap and Terrarium elevation tiles).

Pure Python (plus numpy/rasterio for the GeoTIFFs): importable without Django.
See docs/upstream-simulator.md.
"""

from .app import FAILURE_MODES, UPSTREAMS, SimulatorApp
from .server import SimulatorHandle, make_simulator_server, run_in_thread

__all__ = [
    "FAILURE_MODES",
    "UPSTREAMS",
    "SimulatorApp",
    "SimulatorHandle",
    "make_simulator_server",
    "run_in_thread",
]
