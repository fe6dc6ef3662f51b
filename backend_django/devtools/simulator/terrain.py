"""The simulated terrain served as Terrarium elevation tiles: flat ground and two features.

The ground is flat at ``BASE_ELEVATION_M`` everywhere on Earth (land and
sea alike), except two features near Springfield, Illinois, each an
east-west ridge with straight flanks and hipped ends, placed relative to a
named test point so that shade can be computed by hand:

- ``RIDGE``: its crest 150 m above the ground runs east-west 500 m south of
  ``RIDGE.point``, from 4 km west to 4 km east of the point; the flanks fall
  to the ground 300 m either side of the crest (a slope of atan(150/300) =
  26.57°). From the point (itself on flat ground, 200 m north of the north
  foot) the crest stands atan(150/500) = 16.70° above the horizon due south.
- ``SLOPE``: a broad ridge whose north flank is a uniform 20° slope facing
  north, 500 m deep (north-south) and 2 km long (1 km each side of the
  point's meridian), with ``SLOPE.point`` in its middle: the crest
  (500 x tan 20° = 181.98 m above the ground) is 250 m south of the point and
  the flank's foot 250 m north of it, so the point stands 90.99 m above the
  ground. Its south flank is a 20° slope facing south.

Geometry, in metres on the sphere of Web Mercator (radius 6378137 m) around
each feature's point (lat0, lng0)::

    north = (lat - lat0) * METRES_PER_DEGREE
    east  = (lng - lng0) * METRES_PER_DEGREE * cos(radians(lat0))
    across = |north + crest_south_m|                 # from the crest line
    beyond = max(0, |east| - half_length_m)          # past the crest's ends
    height = height_m * max(0, 1 - max(across, beyond) / half_width_m)
    elevation = BASE_ELEVATION_M + height

The two features are 21 km apart: seen from either test point the other
stands less than 0.6° above the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METRES_PER_DEGREE = math.pi * 6378137.0 / 180  # 111319.49 m
BASE_ELEVATION_M = 180.0
SLOPE_DEGREES = 20.0


@dataclass(frozen=True)
class Ridge:
    name: str
    point: tuple[float, float]  # (lat, lng) of the named test point
    crest_south_m: float  # the crest line runs this far south of the point
    height_m: float  # crest height above the ground
    half_width_m: float  # from the crest to each foot, horizontally
    half_length_m: float  # the crest reaches this far east and west of the point's meridian


RIDGE = Ridge("ridge", (39.80, -89.65), 500.0, 150.0, 300.0, 4000.0)
SLOPE = Ridge("slope", (39.80, -89.40), 250.0, 500.0 * math.tan(math.radians(SLOPE_DEGREES)), 500.0, 1000.0)
FEATURES = (RIDGE, SLOPE)


def feature_height(lat, lng, ridge: Ridge) -> np.ndarray:
    """Height (m) of ``ridge`` above the ground at (lat, lng)."""
    lat0, lng0 = ridge.point
    north = (np.asarray(lat, dtype=np.float64) - lat0) * METRES_PER_DEGREE
    east = (np.asarray(lng, dtype=np.float64) - lng0) * METRES_PER_DEGREE * math.cos(math.radians(lat0))
    across = np.abs(north + ridge.crest_south_m)
    beyond = np.maximum(0.0, np.abs(east) - ridge.half_length_m)
    return ridge.height_m * np.maximum(0.0, 1.0 - np.maximum(across, beyond) / ridge.half_width_m)


def elevation(lat, lng) -> np.ndarray:
    """Elevation (m above sea level) at (lat, lng)."""
    height = np.zeros(np.broadcast(np.asarray(lat), np.asarray(lng)).shape)
    for ridge in FEATURES:
        height = np.maximum(height, feature_height(lat, lng, ridge))
    return BASE_ELEVATION_M + height


def terrarium_rgb(metres: np.ndarray) -> np.ndarray:
    """Terrarium encoding (uint8 R, G, B on a last axis): elevation = R * 256 + G + B / 256 - 32768,
    rounded down to 1/256 m."""
    value = np.clip(np.floor((np.asarray(metres, dtype=np.float64) + 32768.0) * 256.0), 0, 256**3 - 1)
    value = value.astype(np.int64)
    return np.stack([value >> 16, (value >> 8) & 255, value & 255], axis=-1).astype(np.uint8)


def terrarium_decode(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.float64)
    return rgb[..., 0] * 256 + rgb[..., 1] + rgb[..., 2] / 256 - 32768
