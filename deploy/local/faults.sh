#!/usr/bin/env bash
# The full fault scenario: about 53,000 events through ingest, history, the notifier, digest and retry as separate
# processes over RabbitMQ, with the ECS simulator launching 30 jobs that fail to launch (retry relaunches them through it)
# and 6 that overrun (retry stops them); mid-flow each service is killed with SIGKILL and restarted (retry twice),
# RabbitMQ and PostgreSQL are stopped and started, and Slack answers 429 and then 500 for a minute each. It then checks
# that every run is counted once, every summary equals its rebuild, each digest period was sent once, every failure
# alerted once, every relaunch chain ended in one outcome with one RunTask per attempt, and every overrun was stopped
# with one decision (tests/Platform.EndToEnd.Tests/FaultsTests.cs; CI runs a small version without the restarts of the
# shared broker and database). Needs root (it stops RabbitMQ and PostgreSQL on this machine).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
source deploy/local/infra.sh all
dotnet build tests/Platform.EndToEnd.Tests -c Release --nologo -v q >/dev/null
mkdir -p .ci/work
PLATFORM_FAULTS_FULL=1 dotnet test tests/Platform.EndToEnd.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~FaultsTests" --logger "console;verbosity=detailed" >.ci/work/faults.log 2>&1 && status=0 || status=$?
grep -E "\[faults\]|Passed!|Failed!" .ci/work/faults.log || true
[ "$status" = 0 ] || echo "[faults] failed; the whole output is in .ci/work/faults.log"
exit "$status"
