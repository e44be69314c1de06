#!/usr/bin/env bash
# Runs every test: starts PostgreSQL, RabbitMQ and the SQS emulator (installing them when missing), then the suite.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
mkdir -p .ci/work
source deploy/local/infra.sh all

dotnet build Platform.sln -c Release -warnaserror --nologo -v q
set +e
dotnet test Platform.sln -c Release --no-build --nologo "$@" 2>&1 | tee .ci/work/test-output.txt
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite.
awk '/(Passed|Failed)!  -/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' .ci/work/test-output.txt
exit "$status"
