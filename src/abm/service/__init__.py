"""Sweeps as a service: the Prefect flow, its artifacts, scheduled deployments.

* :mod:`~abm.service.flow`: the ``abm-sweep`` flow: one Prefect task per batch of points
  (retried; a rerun skips the batches the cube holds), on threads or an existing Dask
  cluster;
* :mod:`~abm.service.artifacts`: the table and markdown artifacts every sweep leaves;
* :mod:`~abm.service.serve`: deployments with cron schedules (``abm serve``).

Importing this package imports Prefect (about a second); :mod:`abm.sweep` does not.
"""
