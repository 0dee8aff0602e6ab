#!/bin/sh
# Run once per release, before new web/worker tasks take traffic (a one-off task / job).
# Public schema, then the practice template, then every practice that has something to apply,
# MIGRATE_PARALLEL at a time. Each parallel worker holds one database connection.
set -eu
cd "$(dirname "$0")/../.."
exec python manage.py migrate_platform --parallel "${MIGRATE_PARALLEL:-4}" "$@"
