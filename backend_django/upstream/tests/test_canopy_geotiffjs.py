"""geotiff.js ``fromUrl`` reads a window of a canopy tile through the Range proxy.

Needs Node.js 20+ and ``tools/geotiff-check/node_modules`` (``scripts/bootstrap``
installs it). A missing Node is a failure, not a skip: it is a documented
requirement of the project.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from backend_django.devtools.simulator import data as simdata

TOOL = Path(settings.BASE_DIR) / "tools" / "geotiff-check"
QUADKEY = "021230223"


@pytest.mark.django_db(transaction=True)
def test_geotiffjs_reads_a_window_through_the_range_proxy(live_server, simulator):
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "Node.js 20+ is required for this test (and the frontend); install it and run scripts/bootstrap"
        )
    if not (TOOL / "node_modules" / "geotiff").is_dir():
        pytest.fail(f"{TOOL}/node_modules is missing: run scripts/bootstrap (npm ci in tools/geotiff-check)")
    left, top, right, bottom = 500, 300, 540, 316
    url = f"{live_server.url}/api/v1/canopy/{QUADKEY}/"
    result = subprocess.run(
        [node, str(TOOL / "read-window.mjs"), url, str(left), str(top), str(right), str(bottom)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    size = simulator.canopy_size
    assert (answer["width"], answer["height"]) == (right - left, bottom - top)
    assert (answer["imageWidth"], answer["imageHeight"]) == (size, size)
    assert answer["bbox"] == pytest.approx(list(simdata.quadkey_bounds(QUADKEY)))
    assert answer["values"] == [
        [simdata.canopy_height(QUADKEY, row, col, size) for col in range(left, right)]
        for row in range(top, bottom)
    ]
    # Every request reached the bucket as a range, and geotiff.js never got a whole tile.
    log = simulator.stats()["canopy"]["requests_log"]
    assert log and all(entry["method"] == "HEAD" or entry["range"] for entry in log)
    assert simulator.stats()["canopy"]["bytes_sent"] < simulator.tiles.get(QUADKEY).size
