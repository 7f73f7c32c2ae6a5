#!/usr/bin/env bash
# `make run`: migrate + demo data + the CronJob schedule table + serve the API on SQLite.
#
# Everything lives under ./var (SQLite file, attachment blobs, the generated CRON_SECRET); exports
# land under ./exports as the platform documents. Override with DATABASE_URL, PORT, CRON_SECRET,
# DEMO_TENANTS, DEMO_ROWS.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
SVC="$BIN/kaireon-service"
[ -x "$SVC" ] || { echo "run.sh: $SVC not found; run 'make install' first" >&2; exit 1; }

mkdir -p var
export DATABASE_URL="${DATABASE_URL:-sqlite:///./var/kaireon.db}"
export ATTACHMENT_STORAGE_URL="${ATTACHMENT_STORAGE_URL:-./var/attachments}"
export PORT="${PORT:-3000}"

# The bearer secret: taken from the environment, else from var/cron-secret (generated once, 0600).
if [ -z "${CRON_SECRET:-}" ]; then
  if [ ! -s var/cron-secret ]; then
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > var/cron-secret)
    echo "run.sh: generated a CRON_SECRET into var/cron-secret"
  fi
  CRON_SECRET="$(cat var/cron-secret)"
  SECRET_REF='$(cat var/cron-secret)'
else
  SECRET_REF='$CRON_SECRET'
fi
export CRON_SECRET

echo "== migrate"
"$SVC" migrate

echo "== demo data (${DEMO_TENANTS:-3} tenants, ${DEMO_ROWS:-500} interaction rows each)"
"$SVC" demo-data --tenants "${DEMO_TENANTS:-3}" --rows "${DEMO_ROWS:-500}" --reset \
  | "$BIN/python" -c 'import json,sys; s=json.load(sys.stdin); r=s.get("rows",{}); print("  " + ", ".join(f"{k}={v}" for k,v in r.items())); [print(f"  hook error {k}: {v}") for k,v in s.get("hook_errors",{}).items()]; s.get("jobs_not_implemented") and print("  not implemented yet:", ", ".join(s["jobs_not_implemented"]))'

echo "== the chart's CronJobs (default values)"
"$BIN/render-values" explain

echo
echo "== serving on http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
echo "   trigger a job:"
echo "     curl -sS -X POST -H \"Authorization: Bearer ${SECRET_REF}\" http://127.0.0.1:${PORT}/api/v1/cron/outbox-reaper"
echo "   probes: curl http://127.0.0.1:${PORT}/readyz   metrics: curl http://127.0.0.1:${PORT}/metrics   docs: http://127.0.0.1:${PORT}/docs"
echo
exec "$SVC" serve --port "$PORT"
