#!/usr/bin/env bash
# Builds every service image from locally made base images (no registry is reachable here), runs each one with host
# networking against the local PostgreSQL and RabbitMQ, and checks its HEALTHCHECK, one real request, and a clean
# stop on SIGTERM. Also validates docker-compose.yml. Needs root (it starts a Docker engine when none runs).
#   bash deploy/docker/check.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
work="$repo/deploy/docker/work"
mkdir -p "$work"
log() { printf '[docker-check] %s\n' "$*" >&2; }
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

command -v dockerd >/dev/null && command -v docker-compose >/dev/null && command -v debootstrap >/dev/null \
  || { log "installing docker.io, docker-compose, debootstrap"; apt-get update -qq >/dev/null; apt_install docker.io docker-compose debootstrap; }

log "validating docker-compose.yml"
docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml --profile allinone config -q
PLATFORM_BUS=AmazonSqs docker-compose -f docker-compose.yml --profile sqs config -q

if ! docker info >/dev/null 2>&1; then
  log "starting a Docker engine (host networking only)"
  (dockerd --bridge=none --iptables=false --ip-masq=false >"$work/dockerd.log" 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
if ! docker image inspect platform-local/runtime:10.0 >/dev/null 2>&1; then
  log "making base images: a Debian root file system plus this machine's .NET"
  rootfs="$work/rootfs"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates,tzdata bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # This machine reaches package feeds through its own certificate authorities: the images trust what it trusts.
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$rootfs/usr/share/dotnet"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$rootfs/usr/share/dotnet/"
  ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
  tar -C "$rootfs" -c . | docker import --change 'ENV DOTNET_ROOT=/usr/share/dotnet' - platform-local/runtime:10.0 >/dev/null
  # The SDK image adds the SDK and this machine's NuGet packages, so the build stage restores offline (and skips
  # NuGet's vulnerability audit, which needs the feed).
  cp -a "$dotnet_root/sdk" "$dotnet_root/packs" "$dotnet_root/sdk-manifests" "$dotnet_root/templates" "$rootfs/usr/share/dotnet/" 2>/dev/null || true
  mkdir -p "$rootfs/root/.nuget"
  cp -a "$HOME/.nuget/packages" "$rootfs/root/.nuget/"
  tar -C "$rootfs" -c . | docker import --change 'ENV DOTNET_ROOT=/usr/share/dotnet' --change 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' \
    --change 'ENV NUGET_CERT_REVOCATION_MODE=offline' --change 'ENV NuGetAudit=false' - platform-local/sdk:10.0 >/dev/null
  rm -rf "$rootfs"
fi

services=(Platform.Ingest Platform.History Platform.Notifier Platform.Retry Platform.Digest Platform.AllInOne Platform.EcsSimulator)
for service in "${services[@]}"; do
  tag="platform/$(echo "${service#Platform.}" | tr '[:upper:]' '[:lower:]')"
  log "building $tag"
  DOCKER_BUILDKIT=0 docker build -q --network host -f deploy/docker/Dockerfile --build-arg SERVICE="$service" \
    --build-arg SDK_IMAGE=platform-local/sdk:10.0 --build-arg RUNTIME_IMAGE=platform-local/runtime:10.0 -t "$tag" . >/dev/null
done

source deploy/local/infra.sh all
log() { printf "[docker-check] %s\n" "$*" >&2; }
pg="Host=127.0.0.1;Database=platform;Username=platform;Password=platform"
key="container-check-key-0123456789"
common=(--network host -e "ConnectionStrings__Postgres=$pg" -e "ConnectionStrings__RabbitMq=$PLATFORM_TEST_RABBITMQ" -e Bus__Transport=RabbitMq
  -e Ingest__ApiKey="$key" -e Aws__Region=eu-west-1 -e Aws__ServiceUrl=http://127.0.0.1:18185 -e AWS_EC2_METADATA_DISABLED=true
  -e AWS_ACCESS_KEY_ID=AKIDCONTAINERCHECK01 -e AWS_SECRET_ACCESS_KEY=container-check -e History__Schema=container_check_history
  -e Notifier__Schema=container_check_notifier -e Retry__Schema=container_check_retry -e Digest__Schema=container_check_digest
  -e Digest__HistoryUrl=http://127.0.0.1:18181/ -e Simulator__IngestUrl=http://127.0.0.1:18180/ -e Dashboard__AccessKey="$key" -e Notifier__ReadApiKey="$key"
  -e Simulator__IngestApiKey="$key")
declare -A ports=([ingest]=18180 [history]=18181 [notifier]=18182 [retry]=18183 [allinone]=18184 [ecssimulator]=18185 [digest]=18186)
cleanup() { for name in "${!ports[@]}"; do docker rm -f "check-$name" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
cleanup
for name in ecssimulator ingest history notifier retry digest allinone; do
  extra=()
  [ "$name" = allinone ] && extra=(-e Bus__Transport=InMemory -e History__Schema=container_check_aio_history
    -e Notifier__Schema=container_check_aio_notifier -e Retry__Schema=container_check_aio_retry -e Digest__Schema=container_check_aio_digest
    -e Digest__HistoryUrl=http://127.0.0.1:18184/)
  docker run -d --name "check-$name" "${common[@]}" "${extra[@]}" -e ASPNETCORE_HTTP_PORTS="${ports[$name]}" "platform/$name" >/dev/null
done

failed=0
wait_healthy() {
  local name=$1
  for _ in $(seq 1 90); do
    status="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "check-$name")"
    [ "$status" = healthy ] && return 0
    [ "$(docker inspect -f '{{.State.Running}}' "check-$name")" = true ] || break
    sleep 2
  done
  log "FAIL $name is $status"; docker logs --tail 30 "check-$name" >&2; failed=1; return 1
}
expect() {
  local what=$1 want=$2; shift 2
  got="$(curl -s -o /dev/null -w '%{http_code}' "$@")"
  if [ "$got" = "$want" ]; then log "ok   $what ($got)"; else log "FAIL $what: $got, expected $want"; failed=1; fi
}
for name in ecssimulator ingest history notifier retry digest allinone; do
  wait_healthy "$name" && log "ok   $name healthy (HEALTHCHECK) as user $(docker exec "check-$name" id -u)"
done
expect "ingest POST /events without the key" 401 -X POST -H 'Content-Type: application/json' -d '[]' http://127.0.0.1:18180/events
expect "ingest POST /events" 202 -X POST -H 'Content-Type: application/json' -H "X-Api-Key: $key" -d '[]' http://127.0.0.1:18180/events
expect "simulator launches a task (its events go to ingest)" 200 -X POST http://127.0.0.1:18185/_simulator/launch/container-check
expect "history GET /jobs without the key" 401 http://127.0.0.1:18181/jobs
expect "history GET /jobs" 200 -H "X-Api-Key: $key" http://127.0.0.1:18181/jobs
expect "notifier GET /deliveries without the key" 401 http://127.0.0.1:18182/deliveries
expect "notifier GET /deliveries" 200 -H "X-Api-Key: $key" http://127.0.0.1:18182/deliveries
expect "retry GET /health" 200 http://127.0.0.1:18183/health
expect "allinone GET /jobs" 200 -H "X-Api-Key: $key" http://127.0.0.1:18184/jobs
expect "digest GET /health" 200 http://127.0.0.1:18186/health
expect "history GET /reports (what digest asks)" 200 -H "X-Api-Key: $key" "http://127.0.0.1:18181/reports?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"
recorded=""
for _ in $(seq 1 60); do
  curl -s -H "X-Api-Key: $key" http://127.0.0.1:18181/jobs/container-check/runs | grep -q '"status":"succeeded"' && { recorded=1; break; }; sleep 1
done
if [ -n "$recorded" ]; then log "ok   the simulated run went simulator → ingest → RabbitMQ → history: succeeded"; else log "FAIL history has no succeeded run of the simulated task"; failed=1; fi

for name in ingest history notifier retry digest; do
  start=$(date +%s)
  docker stop -t 30 "check-$name" >/dev/null
  code="$(docker inspect -f '{{.State.ExitCode}}' "check-$name")"
  took=$(( $(date +%s) - start ))
  if [ "$code" = 0 ] && [ "$took" -lt 30 ]; then log "ok   $name stopped on SIGTERM in ${took}s, exit 0"; else log "FAIL $name stop: exit $code after ${took}s"; failed=1; fi
done
psql "postgresql://platform:platform@127.0.0.1/platform" -qc "drop schema if exists container_check_history cascade; drop schema if exists container_check_notifier cascade; drop schema if exists container_check_retry cascade" 2>/dev/null || true
[ "$failed" = 0 ] && log "all containers passed" || { log "container check failed"; exit 1; }
