#!/usr/bin/env bash
# Measures the platform with the services as separate processes over RabbitMQ, everything local and durable.
#   bench.sh [load tool options]     ingest → stored-and-projected throughput, with the raw Marten baseline and peak RSS,
#                                    e.g. --runs 5000 --rate 2000 --batch 100 --concurrency 8
#   bench.sh alerts [options]        failure alerts, ingest POST → Slack request, under --background-rate events/s
#                                    (the notifier runs too, posting to a stand-in webhook in the load tool)
# BENCH_ALLINONE=1 runs the same against the AllInOne host (every module in one process, in-memory bus) instead.
# BENCH_TRANSPORT=sqs runs the services on Amazon SQS/SNS (the emulator) instead of RabbitMQ; each service prints the
# SQS and SNS requests it made when it stops. BENCH_CONSUMERS=1 also runs the notifier and retry, which consume what
# history publishes (on SQS, so that the request count is the whole pipeline's).
# BENCH_KEEP=1 keeps the stored events (the schema is printed) for measuring rebuild, export and the dashboard on them.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
mode=throughput
if [ "${1:-}" = alerts ]; then mode=alerts; shift; fi
source deploy/local/infra.sh all
dotnet build Platform.sln -c Release --nologo -v q >/dev/null

id="bench$(date +%s)"
as_root rabbitmqctl -q add_vhost "$id"
as_root rabbitmqctl -q set_permissions -p "$id" guest '.*' '.*' '.*'
export ConnectionStrings__Postgres="$PLATFORM_TEST_POSTGRES" ConnectionStrings__RabbitMq="${PLATFORM_TEST_RABBITMQ%/}/$id"
export Bus__Transport=RabbitMq
if [ "${BENCH_TRANSPORT:-rabbitmq}" = sqs ]; then
  export Bus__Transport=AmazonSqs Bus__AmazonSqs__ServiceUrl="$PLATFORM_TEST_SQS_URL" Bus__AmazonSqs__Prefix="$id-" \
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
fi
export Ingest__ApiKey="bench-key-$id" Dashboard__AccessKey="bench-read-key-$id" History__Schema="$id" Notifier__Schema="${id}_n"
bin() { echo "services/$1/bin/Release/net10.0/$1.dll"; }
export Retry__Schema="${id}_r" Digest__Schema="${id}_d"
pids=()
ports=(5181)
config=".ci/work/$id-platform.yaml"
cat >"$config" <<YAML
routes:
  - name: probes
    match: { jobs: ["alert-probe-*"] }
    slack: { webhookUrl: "http://127.0.0.1:5189/services/T000BENCH/B000PROBE/not-a-secret" }
storm: { threshold: 100000, window: 1m }
YAML
# Slack's own pacing (one message a second per destination) would measure the queue, not the pipeline.
export Platform__ConfigFile="$config" Notifier__MinimumInterval=00:00:00.010
if [ -n "${BENCH_ALLINONE:-}" ]; then
  Bus__Transport=InMemory Aws__Region=eu-west-1 Aws__ServiceUrl=http://127.0.0.1:9/ Digest__HistoryUrl=http://127.0.0.1:5181/ \
    dotnet "$(bin Platform.AllInOne)" --urls http://127.0.0.1:5181 >".ci/work/$id-allinone.log" 2>&1 & pids+=($!)
else
  dotnet "$(bin Platform.History)" --urls http://127.0.0.1:5182 >".ci/work/$id-history.log" 2>&1 & pids+=($!)
  dotnet "$(bin Platform.Ingest)" --urls http://127.0.0.1:5181 >".ci/work/$id-ingest.log" 2>&1 & pids+=($!)
  ports+=(5182)
  if [ -n "${BENCH_CONSUMERS:-}" ] && [ "$mode" != alerts ]; then
    # Every consumer of what history publishes, so the request count is the whole pipeline's.
    dotnet "$(bin Platform.Notifier)" --urls http://127.0.0.1:5183 >".ci/work/$id-notifier.log" 2>&1 & pids+=($!)
    Aws__Region=eu-west-1 Aws__ServiceUrl=http://127.0.0.1:9/ dotnet "$(bin Platform.Retry)" --urls http://127.0.0.1:5184 >".ci/work/$id-retry.log" 2>&1 & pids+=($!)
    ports+=(5183 5184)
  fi
  if [ "$mode" = alerts ]; then
    dotnet "$(bin Platform.Notifier)" --urls http://127.0.0.1:5183 >".ci/work/$id-notifier.log" 2>&1 & pids+=($!)
    ports+=(5183)
  fi
fi
cleanup() {
  # Peak resident memory of each service over the whole run (the kernel's high-water mark).
  for pid in "${pids[@]}"; do
    if [ -r "/proc/$pid/status" ]; then
      echo "[bench] peak RSS $(tr '\0' ' ' <"/proc/$pid/cmdline" | grep -o 'Platform\.[A-Za-z]*' | head -1): $(awk '/VmHWM/ { printf "%d MB", $2 / 1024 }' "/proc/$pid/status")"
    fi
  done
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  if [ "$Bus__Transport" = AmazonSqs ]; then grep -ho "SQS/SNS requests.*" .ci/work/"$id"-*.log | sed 's/^/[bench] /' || true; fi
  as_root rabbitmqctl -q delete_vhost "$id" || true
  for suffix in _n _r _d; do
    as_root su postgres -c "psql -d platform -qc 'DROP SCHEMA IF EXISTS ${id}${suffix} CASCADE'" >/dev/null 2>&1 || true
  done
  if [ -n "${BENCH_KEEP:-}" ]; then echo "[bench] kept the stored events in schema $id"; return; fi
  as_root su postgres -c "psql -d platform -qc 'DROP SCHEMA IF EXISTS $id CASCADE'" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for port in "${ports[@]}"; do
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
done
tool=tests/Platform.LoadTest/bin/Release/net10.0/Platform.LoadTest.dll
if [ "$mode" = alerts ]; then
  dotnet "$tool" alerts --ingest http://127.0.0.1:5181 --api-key "$Ingest__ApiKey" --slack-port 5189 \
    --postgres "$ConnectionStrings__Postgres" --history-schema "$History__Schema" --notifier-schema "$Notifier__Schema" "$@"
else
  dotnet "$tool" --ingest http://127.0.0.1:5181 --api-key "$Ingest__ApiKey" --postgres "$ConnectionStrings__Postgres" --schema "$id" "$@"
fi
