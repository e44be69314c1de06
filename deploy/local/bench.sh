#!/usr/bin/env bash
# Measures ingest → stored-and-projected with the services as separate processes over RabbitMQ, everything local
# and durable. Arguments go to the load tool, e.g. --runs 5000 --rate 2000 --batch 100 --concurrency 8.
# BENCH_KEEP=1 keeps the stored events (the schema is printed) for measuring rebuild, export and the dashboard on them.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
source deploy/local/infra.sh all
dotnet build Platform.sln -c Release --nologo -v q >/dev/null

id="bench$(date +%s)"
as_root rabbitmqctl -q add_vhost "$id"
as_root rabbitmqctl -q set_permissions -p "$id" guest '.*' '.*' '.*'
export ConnectionStrings__Postgres="$PLATFORM_TEST_POSTGRES" ConnectionStrings__RabbitMq="${PLATFORM_TEST_RABBITMQ%/}/$id"
export Bus__Transport=RabbitMq Ingest__ApiKey="bench-key-$id" History__Schema="$id"
bin() { echo "services/$1/bin/Release/net10.0/$1.dll"; }
dotnet "$(bin Platform.History)" --urls http://127.0.0.1:5182 >".ci/work/$id-history.log" 2>&1 &
history=$!
dotnet "$(bin Platform.Ingest)" --urls http://127.0.0.1:5181 >".ci/work/$id-ingest.log" 2>&1 &
ingest=$!
cleanup() {
  # Peak resident memory of each service over the whole run (the kernel's high-water mark).
  for pid in "$ingest" "$history"; do
    [ -r "/proc/$pid/status" ] && echo "[bench] peak RSS $(tr '\0' ' ' <"/proc/$pid/cmdline" | grep -o 'Platform\.[A-Za-z]*' | head -1): $(awk '/VmHWM/ { printf "%d MB", $2 / 1024 }' "/proc/$pid/status")"
  done
  kill "$history" "$ingest" 2>/dev/null || true
  wait "$history" "$ingest" 2>/dev/null || true
  as_root rabbitmqctl -q delete_vhost "$id" || true
  if [ -n "${BENCH_KEEP:-}" ]; then echo "[bench] kept the stored events in schema $id"; return; fi
  as_root su postgres -c "psql -d platform -qc 'DROP SCHEMA IF EXISTS $id CASCADE'" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for port in 5181 5182; do
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
done
dotnet tests/Platform.LoadTest/bin/Release/net10.0/Platform.LoadTest.dll --ingest http://127.0.0.1:5181 \
  --api-key "$Ingest__ApiKey" --postgres "$ConnectionStrings__Postgres" --schema "$id" "$@"
