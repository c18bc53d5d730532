#!/bin/sh
# Blue-green switch for conductor servers sharing one runs root behind nginx.
#
#   deploy/blue-green.sh status
#   deploy/blue-green.sh switch green     # health-check green, point nginx at it, verify
#   deploy/blue-green.sh rollback         # back to the previous colour (same checks)
#
# nginx's upstream block includes $UPSTREAM_FILE (one `server host:port;` line); this script
# rewrites that file, validates the config and reloads nginx. Both servers run over the same
# root, so runs started by either keep going; stop the old colour only after the switch
# (SIGTERM leaves agent runs alive and the remaining server adopts them on its reconcile).
#
# Environment (defaults in brackets):
#   BLUE_ADDR [127.0.0.1:8081]  GREEN_ADDR [127.0.0.1:8082]   host:port of each server
#   UPSTREAM_FILE [/etc/nginx/conductor-upstream.conf]
#   STATE_FILE [$UPSTREAM_FILE.state]                          remembers active/previous colour
#   NGINX [nginx]  NGINX_ARGS []                               e.g. "-c /etc/nginx/nginx.conf"
#   PROXY_URL []                        when set, the switch is verified through nginx too
#   CURL_ARGS []                        extra curl flags, e.g. "-k" for a self-signed certificate
#   HEALTH_RETRIES [10]  HEALTH_INTERVAL [1]                   seconds between checks
# Exit codes: 0 switched/ok, 1 target unhealthy or verification failed (old colour kept),
# 2 usage error, 3 nginx config invalid or reload failed (old upstream restored).
set -eu

BLUE_ADDR=${BLUE_ADDR:-127.0.0.1:8081}
GREEN_ADDR=${GREEN_ADDR:-127.0.0.1:8082}
UPSTREAM_FILE=${UPSTREAM_FILE:-/etc/nginx/conductor-upstream.conf}
STATE_FILE=${STATE_FILE:-$UPSTREAM_FILE.state}
NGINX=${NGINX:-nginx}
NGINX_ARGS=${NGINX_ARGS:-}
PROXY_URL=${PROXY_URL:-}
HEALTH_RETRIES=${HEALTH_RETRIES:-10}
HEALTH_INTERVAL=${HEALTH_INTERVAL:-1}
CURL_ARGS=${CURL_ARGS:-}

say() { printf '%s\n' "$*"; }
die() { code=$1; shift; printf 'Error: %s\n' "$*" >&2; exit "$code"; }

addr_of() {
  case $1 in
    blue) say "$BLUE_ADDR" ;;
    green) say "$GREEN_ADDR" ;;
    *) die 2 "unknown colour '$1' (use blue or green)" ;;
  esac
}

active() { [ -f "$STATE_FILE" ] && sed -n 's/^active=//p' "$STATE_FILE" || true; }
previous() { [ -f "$STATE_FILE" ] && sed -n 's/^previous=//p' "$STATE_FILE" || true; }

# healthy URL: /api/v1/health answers 200 and /api/v1/ready answers 200, within the retries.
healthy() {
  n=0
  while [ "$n" -lt "$HEALTH_RETRIES" ]; do
    # shellcheck disable=SC2086 # CURL_ARGS is a list of words on purpose
    if curl -fsS -m 3 $CURL_ARGS -o /dev/null "$1/api/v1/health" 2>/dev/null &&
      curl -fsS -m 3 $CURL_ARGS -o /dev/null "$1/api/v1/ready" 2>/dev/null; then
      return 0
    fi
    n=$((n + 1))
    [ "$n" -lt "$HEALTH_RETRIES" ] && sleep "$HEALTH_INTERVAL"
  done
  return 1
}

# shellcheck disable=SC2086 # NGINX_ARGS is a list of words on purpose
nginx_cmd() { $NGINX $NGINX_ARGS "$@"; }

switch_to() {
  target=$1
  addr=$(addr_of "$target")
  current=$(active)
  say "checking $target at http://$addr ..."
  healthy "http://$addr" || die 1 "$target (http://$addr) is not healthy; traffic stays on ${current:-the current upstream}"
  backup="$UPSTREAM_FILE.bak"
  [ -f "$UPSTREAM_FILE" ] && cp "$UPSTREAM_FILE" "$backup"
  tmp="$UPSTREAM_FILE.tmp.$$"
  printf 'server %s max_fails=0;\n' "$addr" >"$tmp"
  mv "$tmp" "$UPSTREAM_FILE"
  # nginx prints notices on success; show its output only when it fails.
  if ! out=$(nginx_cmd -t 2>&1) || ! out=$(nginx_cmd -s reload 2>&1); then
    [ -f "$backup" ] && mv "$backup" "$UPSTREAM_FILE"
    die 3 "nginx rejected the new upstream; restored the previous one: $(printf '%s' "$out" | tail -n 1)"
  fi
  if [ -n "$PROXY_URL" ] && ! healthy "$PROXY_URL"; then
    if [ -f "$backup" ]; then
      mv "$backup" "$UPSTREAM_FILE"
      nginx_cmd -s reload >/dev/null 2>&1 || true
    fi
    die 1 "$PROXY_URL is not healthy after the switch; rolled back to ${current:-the previous upstream}"
  fi
  rm -f "$backup"
  printf 'active=%s\nprevious=%s\nswitched_at=%s\n' "$target" "${current:-}" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATE_FILE"
  say "traffic now on $target (http://$addr)"
}

cmd=${1:-status}
case $cmd in
  status)
    for colour in blue green; do
      addr=$(addr_of "$colour")
      if HEALTH_RETRIES=1 healthy "http://$addr"; then state=healthy; else state=down; fi
      mark=''
      [ "$(active)" = "$colour" ] && mark=' (active)'
      say "$colour http://$addr $state$mark"
    done
    ;;
  switch)
    [ $# -eq 2 ] || die 2 "usage: $0 switch blue|green"
    switch_to "$2"
    ;;
  rollback)
    prev=$(previous)
    [ -n "$prev" ] || die 2 "no previous colour recorded in $STATE_FILE"
    switch_to "$prev"
    ;;
  *)
    die 2 "usage: $0 status | switch blue|green | rollback"
    ;;
esac
