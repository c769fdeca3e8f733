#!/usr/bin/env bash
# Whole-database backup: one pg_dump in custom format (compressed, restorable table by table).
#
#   deploy/backup.sh ADMIN_DATABASE_URL [BACKUP_DIR]
#
# ADMIN_DATABASE_URL must be a superuser (e.g. postgresql://postgres@/kexie): every tenant
# table has FORCE ROW LEVEL SECURITY, so the owner and the app role would dump no rows, and
# pg_dump refuses rather than write a silently partial backup.
# Keeps KEEP_DAYS (default 14) days of dumps in BACKUP_DIR (default /var/backups/kexie).
# Prints the path of the new dump. Run it from cron or a systemd timer, e.g. nightly.
set -euo pipefail

url=${1:?usage: backup.sh ADMIN_DATABASE_URL [BACKUP_DIR]}
dir=${2:-/var/backups/kexie}
keep_days=${KEEP_DAYS:-14}

umask 077  # the dump holds personal data
mkdir -p "$dir"
name="kexie-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$dir/.$name.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --dbname="$url" --format=custom --compress=6 --file="$partial"
# A dump that pg_restore cannot list is no backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$dir/$name"
find "$dir" -maxdepth 1 -name 'kexie-*.dump' -mtime "+$keep_days" -delete
echo "$dir/$name"
