#!/usr/bin/env bash
# Gives the local cluster (../shared/slurm, with accounting) a QOS that caps
# the jobs a user may have queued or running: QOS maestro_limit with
# MaxSubmitJobsPerUser=N (default 20), allowed for root's association, and
# AccountingStorageEnforce=limits,qos in slurm.conf, applied by restarting
# slurmctld as Slurm 22.05 requires. Jobs that name no QOS keep the normal
# one. Enforcing limits also enforces associations, so the account the
# tests and samples name (bank: maestro) is made for root too.
# Prints `export MAESTRO_SLURM_QOS=maestro_limit MAESTRO_SLURM_QOS_LIMIT=N`.
set -euo pipefail
: "${SLURM_CONF:?}"
n=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
sacctmgr -i add account maestro >/dev/null 2>&1 || true
sacctmgr -i add user root account=maestro >/dev/null 2>&1 || true
sacctmgr -i add qos maestro_limit >/dev/null 2>&1 || true
sacctmgr -i modify qos maestro_limit set MaxSubmitJobsPerUser="$n" >/dev/null
sacctmgr -i modify user root set qos+=maestro_limit >/dev/null 2>&1 || true
if ! grep -q '^AccountingStorageEnforce=' "$SLURM_CONF"; then
  echo 'AccountingStorageEnforce=limits,qos' >> "$SLURM_CONF"
  bash "$here/restart-slurmctld.sh" >&2
fi
echo "export MAESTRO_SLURM_QOS=maestro_limit MAESTRO_SLURM_QOS_LIMIT=$n"
