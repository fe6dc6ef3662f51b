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
