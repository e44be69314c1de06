#!/usr/bin/env bash
# Runs the platform in one process (the AllInOne host, in-memory bus) on http://127.0.0.1:5080 and feeds it a small
# built-in demo of realistic ECS events. Starts a local PostgreSQL unless ConnectionStrings__Postgres is set.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  source deploy/local/infra.sh postgres
  export ConnectionStrings__Postgres="$PLATFORM_TEST_POSTGRES"
fi
export Ingest__ApiKey="${Ingest__ApiKey:-demo-ingest-key-change-me}"
export Demo__Enabled="${Demo__Enabled:-true}"
export AWS_EC2_METADATA_DISABLED=true
exec dotnet run --project services/Platform.AllInOne -c Release -- --urls "${PLATFORM_URLS:-http://127.0.0.1:5080}" "$@"
