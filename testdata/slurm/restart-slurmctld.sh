#!/usr/bin/env bash
# Restarts slurmctld of the local cluster (../shared/slurm) with the
# slurm.conf it has now, as Slurm 22.05 needs for AccountingStorageEnforce,
# and waits until it answers. Only the recorded pid is signalled, after
# checking that it is slurmctld. Needs SLURM_CONF and LOCAL_SLURM_DIR.
set -euo pipefail
: "${SLURM_CONF:?}" "${LOCAL_SLURM_DIR:?}"
pidfile="$LOCAL_SLURM_DIR/run/slurmctld.pid"
if [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmctld ]; then
    kill "$pid"
    for _ in $(seq 100); do
      st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
      [ "$st" = gone ] || [ "$st" = Z ] && break
      sleep 0.1
    done
  fi
fi
rm -f "$pidfile"
/usr/sbin/slurmctld -i -f "$SLURM_CONF" </dev/null >>"$LOCAL_SLURM_DIR/log/slurmctld.log" 2>&1
for _ in $(seq 100); do
  scontrol ping 2>/dev/null | grep -q 'is UP' && exit 0
  sleep 0.1
done
echo "slurmctld did not come back" >&2
exit 1
