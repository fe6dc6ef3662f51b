import warnings

import numpy as np
import pytest

from backend_django.devtools.simulator import SimulatorApp, run_in_thread

CANOPY_SIZE = 1024


@pytest.fixture(scope="session")
def simulator_handle():
    app = SimulatorApp(canopy_size=CANOPY_SIZE)
    handle = run_in_thread(app, port=0)
    yield handle
    handle.stop()


@pytest.fixture
def sim(simulator_handle):
    """A running simulator, reset before each test."""
    simulator_handle.app.reset()
    yield simulator_handle
    simulator_handle.app.reset()


def decode_png(body: bytes) -> np.ndarray:
    """An RGB PNG or a palette PNG as (height, width, 3) uint8, decoded by GDAL (not by the simulator)."""
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(body) as memfile, memfile.open() as dataset:
            assert dataset.driver == "PNG"
            if dataset.count >= 3:
                return np.dstack([dataset.read(band) for band in (1, 2, 3)])
            indices = dataset.read(1)
            table = np.zeros((256, 3), dtype=np.uint8)
            for index, colour in dataset.colormap(1).items():
                table[index] = colour[:3]
            return table[indices]
