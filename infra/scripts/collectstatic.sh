#!/bin/sh
# The image collects static files at build time; run this only when building outside Docker.
set -eu
cd "$(dirname "$0")/../.."
exec python manage.py collectstatic --noinput "$@"
