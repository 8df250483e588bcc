"""Result cubes: labelled xarray datasets of a run's outcomes, stored as Zarr v3.

:func:`build_cube` turns the runner's integer tallies into a cube, :func:`write_cube`
stores it atomically, :func:`open_cube` reads it back (checking the schema) and
:func:`export_netcdf` writes a netCDF-4 copy.
"""

from abm.cube.build import build_cube
from abm.cube.schema import QUANTILES, SCHEMA_NAME, SCHEMA_VERSION, CubeError
from abm.cube.store import export_netcdf, open_cube, write_cube

__all__ = [
    "QUANTILES",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "CubeError",
    "build_cube",
    "export_netcdf",
    "open_cube",
    "write_cube",
]
