"""Result cubes: labelled xarray datasets of a run's outcomes, stored as Zarr v3.

:func:`build_cube` turns the runner's integer tallies into a cube, :func:`write_cube`
stores it atomically, :func:`open_cube` reads it back (checking the schema) and
:func:`export_netcdf` writes a netCDF-4 copy.

Integrity (:mod:`abm.cube.integrity`): a stored cube or sweep store carries a record of
its arrays and chunk files, written last; :func:`open_cube` verifies it by listing files
and refuses (:class:`CubeError`) a store missing any of them, or a leftover of a killed
write. Cubes written before the record existed have none: they are accepted with a
logged warning that they are unverified (older results keep opening). Unfinished sweep
points read as NaN (integer variables then as float64), with ``points_done_count``.
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
