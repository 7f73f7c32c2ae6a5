"""`render-values doctor`: the seed's operational checklist over a live release.

client.py reads the cluster (the official `kubernetes` client, the [doctor] extra, imported only
here), diagnose.py turns a Snapshot plus the rendered values into findings.py's Findings (drift.py, runs.py,
wiring.py hold the checks), report.py prints them, runnow.py is `--run-now`, command.py the glue.
"""
