"""The runbook: papermill runs of the notebooks, their parameters, and run records."""
