#!/bin/sh
# Wait until PostgreSQL and Valkey accept connections, then run the command
# (one of the start-*.sh scripts). WAIT_TIMEOUT: seconds before giving up.
set -eu
python /usr/local/lib/solar-sim/wait_for_services.py
exec "$@"
