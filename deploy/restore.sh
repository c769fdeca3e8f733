#!/usr/bin/env bash
# Restore a whole-database dump from backup.sh into a NEW database, in one transaction.
#
#   deploy/restore.sh DUMP_FILE ADMIN_DATABASE_URL NEW_DATABASE_NAME
#
# ADMIN_DATABASE_URL: a superuser connection to any database of the target server (e.g.
# postgresql://postgres@/postgres). The roles of deploy/postgres/roles.sql must exist there
# (roles live in the cluster, not in a dump): the restored objects keep their owner
# (OWNER_ROLE, default kexie_owner) and the app role's grants.
# It never writes over a live database: restore beside it, check, then rename (ALTER DATABASE
# kexie RENAME TO kexie_old; ... RENAME TO kexie): the policies name the scope roles of the
# database dumped (kexie_association ...), and the service takes those named after the
# database it connects to.
set -euo pipefail

dump=${1:?usage: restore.sh DUMP_FILE ADMIN_DATABASE_URL NEW_DATABASE_NAME}
admin=${2:?usage: restore.sh DUMP_FILE ADMIN_DATABASE_URL NEW_DATABASE_NAME}
target=${3:?usage: restore.sh DUMP_FILE ADMIN_DATABASE_URL NEW_DATABASE_NAME}
owner=${OWNER_ROLE:-kexie_owner}

[[ $target =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "restore.sh: bad database name: $target" >&2; exit 2; }
pg_restore --list "$dump" >/dev/null

exists=$(psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$target'")
if [[ $exists == 1 ]]; then
  echo "restore.sh: database $target exists; choose a new name" >&2
  exit 1
fi
psql "$admin" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $target OWNER $owner"
target_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin" "$target")
if ! pg_restore --dbname="$target_url" --exit-on-error --single-transaction "$dump"; then
  psql "$admin" -qc "DROP DATABASE IF EXISTS $target" || true
  echo "restore.sh: restore failed; $target dropped" >&2
  exit 1
fi
echo "restored into $target"
