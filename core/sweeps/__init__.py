"""Sweeps: many runs of one setup with some settings varied, searched by Optuna, trained on local
threads (the fast engine runs without the GIL) or on a Dask cluster; each trial is a run in the run store."""
