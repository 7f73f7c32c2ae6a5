"""``render-values schedule``: what the CronJobs do over time.

* :mod:`.timeline` -- every fire time of every job over a horizon (the exact Kubernetes parser in the
  job's ``timeZone``), collisions, peak concurrency, the per-hour heatmap, herds;
* :mod:`.stagger` -- deterministic Jenkins-``H``-style minutes (and hours) from a hash of the job key,
  and writing them into a values file with its comments kept;
* :mod:`.output` -- the text and JSON forms.
"""
