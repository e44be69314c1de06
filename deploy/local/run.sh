#!/usr/bin/env bash
# Runs the platform in one process (the AllInOne host, in-memory bus) on http://127.0.0.1:5080, with the ECS
# simulator on 127.0.0.1:5081 standing in for AWS: it launches a small scheduled workload, fails a launch (which the
# platform relaunches), runs a task past its timeout (which the platform stops) and a job that fails (retried once).
# A built-in day of past events is posted too. Alerts print to the console. Starts a local PostgreSQL unless
# ConnectionStrings__Postgres is set.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  source deploy/local/infra.sh postgres
  export ConnectionStrings__Postgres="$PLATFORM_TEST_POSTGRES"
fi
urls="${PLATFORM_URLS:-http://127.0.0.1:5080}"
simulator="${SIMULATOR_URL:-http://127.0.0.1:5081}"
export Ingest__ApiKey="${Ingest__ApiKey:-demo-ingest-key-change-me}"
export Demo__Enabled="${Demo__Enabled:-true}"
export Platform__ConfigFile="${Platform__ConfigFile:-$repo/deploy/local/demo/platform.yaml}"
export Aws__Region="${Aws__Region:-eu-west-1}"
export Aws__ServiceUrl="${Aws__ServiceUrl:-$simulator}"
export Digest__HistoryUrl="${Digest__HistoryUrl:-$urls/}"
export Dashboard__NotifierUrl="${Dashboard__NotifierUrl:-$urls/}"
export Dashboard__AccessKey="${Dashboard__AccessKey:-demo-dashboard-key-change-me}"
export Notifier__AdminApiKey="${Notifier__AdminApiKey:-demo-admin-key-change-me}"
# The simulator wants signed requests, not real credentials: these never leave this machine.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIDLOCALSIMULATOR01}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local-simulator-secret}"
export AWS_EC2_METADATA_DISABLED=true

dotnet build services/Platform.AllInOne -c Release -v q -nologo
dotnet build deploy/local/Platform.EcsSimulator -c Release -v q -nologo
Simulator__IngestUrl="$urls/" Simulator__IngestApiKey="$Ingest__ApiKey" \
  dotnet deploy/local/Platform.EcsSimulator/bin/Release/net10.0/Platform.EcsSimulator.dll \
  --urls "$simulator" --Simulator:Workload "$repo/deploy/local/demo/simulator.json" &
simulator_pid=$!
trap 'kill $simulator_pid 2>/dev/null || true' EXIT
# From its output folder, so it reads its appsettings.json (the in-memory bus).
echo "[run] dashboard: $urls/ui (access key: $Dashboard__AccessKey; admin key for silences: $Notifier__AdminApiKey)"
cd services/Platform.AllInOne/bin/Release/net10.0
dotnet Platform.AllInOne.dll --urls "$urls" "$@"
