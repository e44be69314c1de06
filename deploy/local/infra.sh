#!/usr/bin/env bash
# Installs (when missing) and starts what the platform and its tests need on this machine: PostgreSQL, RabbitMQ
# and the SQS emulator (and Chromium for the browser tests). Idempotent. Source it to get the connection settings exported:
#   PLATFORM_TEST_POSTGRES, PLATFORM_TEST_RABBITMQ, PLATFORM_TEST_SQS_URL
# Only loopback addresses are used.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf '[infra] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then log "installing PostgreSQL"; apt_install postgresql; fi
  local version
  version="$(ls /etc/postgresql | sort -n | tail -1)"
  as_root pg_ctlcluster "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='platform'\"" | grep -q 1 \
    || as_root su postgres -c "psql -qc \"CREATE ROLE platform LOGIN SUPERUSER PASSWORD 'platform'\""
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='platform'\"" | grep -q 1 \
    || as_root su postgres -c "psql -qc 'CREATE DATABASE platform OWNER platform'"
  log "PostgreSQL $version on 127.0.0.1:5432 (database platform)"
}

start_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null; then log "installing RabbitMQ"; apt_install rabbitmq-server; fi
  if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 60); do
    as_root rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1 && break
    sleep 1
  done
  as_root rabbitmqctl -q await_startup --timeout 30 >/dev/null
  log "RabbitMQ on 127.0.0.1:5672"
}

start_sqs_emulator() {
  local dir="$repo/.ci/work/sqs"
  if [ ! -f "$dir/node_modules/fauxqs/dist/cli.js" ]; then
    log "installing the SQS emulator (fauxqs 1.9.2)"
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund fauxqs@1.9.2 >/dev/null 2>&1)
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/4566) 2>/dev/null; then
    (cd "$dir" && FAUXQS_PORT=4566 nohup node node_modules/fauxqs/dist/cli.js >"$dir/fauxqs.log" 2>&1 &)
    for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/4566) 2>/dev/null && break; sleep 0.5; done
  fi
  log "SQS emulator on 127.0.0.1:4566"
}

install_browser() {
  # The dashboard's browser tests drive Debian's Chromium with Playwright (no browser download).
  if [ ! -x /usr/bin/chromium ]; then log "installing Chromium"; apt_install chromium; fi
  log "Chromium at /usr/bin/chromium"
}

case "${1:-all}" in
  postgres) start_postgres ;;
  all) start_postgres; start_rabbitmq; start_sqs_emulator; install_browser ;;
  *) echo "usage: infra.sh [all|postgres]" >&2; exit 2 ;;
esac

export PLATFORM_TEST_POSTGRES="${PLATFORM_TEST_POSTGRES:-Host=127.0.0.1;Port=5432;Database=platform;Username=platform;Password=platform}"
export PLATFORM_TEST_RABBITMQ="${PLATFORM_TEST_RABBITMQ:-amqp://guest:guest@127.0.0.1:5672/}"
export PLATFORM_TEST_SQS_URL="${PLATFORM_TEST_SQS_URL:-http://127.0.0.1:4566}"
export AWS_EC2_METADATA_DISABLED=true
