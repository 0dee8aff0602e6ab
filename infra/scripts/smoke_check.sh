#!/bin/sh
# Smoke check a deployment: /healthz and /readyz on each base URL must answer 200 with
# "status": "ok". Exits non-zero (and says which check failed) otherwise.
#   infra/scripts/smoke_check.sh https://tandem.example.com [https://demo.tandem.example.com ...]
# SMOKE_RETRIES (default 5) attempts per check, SMOKE_DELAY seconds apart (default 3);
# SMOKE_TIMEOUT seconds per request (default 5).
set -u
if [ "$#" -eq 0 ]; then
  echo "usage: $0 BASE_URL [BASE_URL ...]" >&2
  exit 2
fi
retries="${SMOKE_RETRIES:-5}"
delay="${SMOKE_DELAY:-3}"
timeout="${SMOKE_TIMEOUT:-5}"
failed=0

check() {
  url="$1"
  attempt=1
  while :; do
    body="$(curl --silent --show-error --max-time "$timeout" --write-out '\n%{http_code}' \
      "$url" 2>&1)"
    code="$(printf '%s\n' "$body" | tail -n 1)"
    if [ "$code" = "200" ] && printf '%s' "$body" | grep -q '"status": *"ok"'; then
      echo "ok    $url"
      return 0
    fi
    if [ "$attempt" -ge "$retries" ]; then
      echo "FAIL  $url (HTTP $code): $(printf '%s\n' "$body" | sed '$d' | head -c 300)" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep "$delay"
  done
}

for base in "$@"; do
  base="${base%/}"
  for path in /healthz /readyz; do
    check "$base$path" || failed=1
  done
done
exit "$failed"
