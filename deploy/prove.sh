#!/usr/bin/env bash
# The production topology, proven on this machine over loopback:
#   a private PostgreSQL (service connects as the NOBYPASSRLS app role of roles.sql),
#   a private Redis, two gunicorn nodes, nginx balancing them, one RQ worker with scheduler.
# Then, through nginx: sign in and use the session on both nodes; import members on the
# worker with progress; stop a node and keep succeeding; restart PostgreSQL and recover
# without restarting the app; kill the worker mid-import and see a new worker finish it;
# the login rate limit holds across both nodes; compile an annual report on the worker. Everything it starts is stopped by process
# id, and its folders are removed. Bounded by PROVE_TIMEOUT seconds (default 420).
# With LOAD_SECONDS=N (make load), first a mixed load through nginx (deploy/load.py); with
# LOAD_ONLY=1 as well, only that load (its latencies per endpoint class), not the proof.
#
#   deploy/prove.sh            (needs: nginx, PostgreSQL 15 binaries, redis-server, .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV_BIN:-$ROOT/.venv/bin}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
IMPORT_ROWS=${IMPORT_ROWS:-20000}
started=$(date +%s)

WORK=$(mktemp -d /tmp/kexie-prove.XXXXXX)
PGDATA=$(mktemp -d /tmp/kexie-prove-pg.XXXXXX)
declare -A PID=()

say() { printf '%5ss  %s\n' "$(($(date +%s) - started))" "$*"; }
die() { say "FAIL: $*"; exit 1; }

groups_of() {  # the process group we started, and those of its children that left it
  local pid=$1 kid          # (an RQ work horse calls setsid, so it has its own group)
  echo "$pid"
  for kid in $(ps -o pid= --ppid "$pid" 2>/dev/null); do echo "$kid"; done
}

stop() {  # stop one process we started, with its children, by process id
  local name=$1 pid=${PID[$1]:-} signal=${2:-TERM} g groups
  [[ -n $pid ]] || return 0
  groups=$(groups_of "$pid")
  for g in $groups; do kill "-$signal" -- "-$g" 2>/dev/null || kill "-$signal" "$g" 2>/dev/null || true; done
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for g in $groups; do kill -KILL -- "-$g" 2>/dev/null || kill -KILL "$g" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
  unset "PID[$name]"
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop watchdog
  for name in "${!PID[@]}"; do stop "$name"; done
  if [[ -f $PGDATA/postmaster.pid ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ $code != 0 ]]; then
    for log in "$WORK"/*.log; do echo "--- $log"; tail -n 15 "$log"; done 2>/dev/null || true
  fi
  rm -rf "$WORK" "$PGDATA"
  say "cleaned up; exit $code"
}
trap cleanup EXIT
trap 'exit 124' INT TERM

free_port() { "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() {  # start NAME LOG CMD...: in its own process group, so stop() takes its children too
  local name=$1 log=$2; shift 2
  setsid "$@" >>"$log" 2>&1 &
  PID[$name]=$!
}

# A watchdog: the whole proof never outlives PROVE_TIMEOUT.
start watchdog /dev/null bash -c "sleep ${PROVE_TIMEOUT:-420}; kill -TERM $$"

PG_PORT=$(free_port); REDIS_PORT=$(free_port); WEB1=$(free_port); WEB2=$(free_port); NGINX=$(free_port)
BASE=http://127.0.0.1:$NGINX
client() { "$BIN/python" deploy/prove_client.py "$BASE" "$WORK/cookies.txt" "$@"; }

# --- PostgreSQL: a private cluster, so restarting it disturbs nobody ---------------------
say "PostgreSQL on :$PG_PORT"
chown postgres "$PGDATA"; chmod 700 "$PGDATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >"$WORK/initdb.log" 2>&1
pg_ctl_() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1" "$@" >/dev/null; }
pg_ctl_ start
ADMIN=postgresql://postgres@127.0.0.1:$PG_PORT/postgres
psql "$ADMIN" -q -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql >/dev/null
export DATABASE_URL=postgresql://kexie_app@127.0.0.1:$PG_PORT/kexie
export MIGRATION_DATABASE_URL=postgresql://kexie_owner@127.0.0.1:$PG_PORT/kexie
sql() { psql "postgresql://postgres@127.0.0.1:$PG_PORT/kexie" -Atqc "$1"; }

say "Redis on :$REDIS_PORT"
start redis "$WORK/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# --- the service's settings: production, behind one proxy ---------------------------------
export APP_ENV=production FLASK_APP=wsgi PROXY_FIX=1 INSECURE_COOKIES=1
export SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export LOGIN_RATE_LIMIT="5 per minute" GUNICORN_WORKERS=2 DEMO_PASSWORD=prove-demo-pw
export METRICS_TOKEN=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
# The demo's privileged accounts sign in here by password alone: the topology is proven, not
# the second factor (tests/service/test_second_factor.py proves it, the production default).
export SECOND_FACTOR_REQUIRED=0
say "migrate as the owner, seed demo data as the app role"
"$BIN/flask" db upgrade >"$WORK/migrate.log" 2>&1
"$BIN/flask" seed-demo >"$WORK/seed.log" 2>&1
[[ $(sql "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'kexie_app'") == f ]] ||
  die "the app role can bypass row-level security"

for n in 1 2; do
  port_var=WEB$n
  GUNICORN_BIND=127.0.0.1:${!port_var} PROMETHEUS_MULTIPROC_DIR=$WORK/metrics$n \
    start "web$n" "$WORK/web$n.log" "$BIN/gunicorn" -c deploy/gunicorn.conf.py wsgi:app
done
start worker "$WORK/worker1.log" "$BIN/flask" worker
for port in "$WEB1" "$WEB2"; do  # before nginx, so it never marks a node down while it boots
  for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  upstream kexie_web {
    least_conn;  # as deploy/nginx/kexie.conf
    server 127.0.0.1:$WEB1 max_fails=1 fail_timeout=30s;
    server 127.0.0.1:$WEB2 max_fails=1 fail_timeout=30s;
    keepalive 8;
  }
  map \$http_x_request_id \$kexie_request_id { default \$http_x_request_id; "" \$request_id; }
  server {
    listen 127.0.0.1:$NGINX;
    client_max_body_size 16m;
    add_header X-Request-ID \$kexie_request_id always;
    location /static/ { alias $ROOT/service/web/static/; }
    location / { include $ROOT/deploy/nginx/kexie-proxy.conf; }
  }
}
EOF
start nginx "$WORK/nginx.log" nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" -g "daemon off;"
say "nginx :$NGINX -> gunicorn :$WEB1 and :$WEB2"
client ready 60 >/dev/null || die "the service did not become ready"

worker_rss() {  # "pid rss-kB" of every gunicorn worker (a gunicorn whose parent is one too)
  ps -eo pid=,ppid=,rss=,args= | awk '/[g]unicorn -c deploy\/gunicorn.conf.py/ {
    rss[$1] = $3; parent[$1] = $2 } END { for (p in rss) if (parent[p] in rss) print p, rss[p] }' |
    sort  # as join wants it
}
connections() { sql "SELECT count(*) FROM pg_stat_activity WHERE datname = 'kexie'"; }

# --- 0. optional load (make load, make soak): before the login-limit step, whose window it
# outlasts. The soak compares each worker's memory and the database connections one minute
# in (warm) with the end: a leak shows as growth in either.
if [[ ${LOAD_SECONDS:-0} -gt 0 ]]; then
  say "load: ${LOAD_CONNECTIONS:-64} connections for ${LOAD_SECONDS}s"
  "$BIN/python" deploy/load.py "$BASE" --seconds "$LOAD_SECONDS" \
    --connections "${LOAD_CONNECTIONS:-64}" --record "$WORK/latencies.tsv" >"$WORK/load.txt" &
  load_pid=$!
  if [[ ${SOAK:-0} == 1 ]]; then
    sleep 60
    worker_rss >"$WORK/rss-warm.txt"; warm_connections=$(connections)
  fi
  wait "$load_pid" || { cat "$WORK/load.txt"; die "errors under load"; }
  cat "$WORK/load.txt"
  "$BIN/python" deploy/server_time.py "$WORK"/web*.log --load "$WORK/latencies.tsv"
  say "ok: $(head -1 "$WORK/load.txt")"
  say "database connections after the load: $(connections)"
  if [[ ${SOAK:-0} == 1 ]]; then
    worker_rss >"$WORK/rss-end.txt"
    join "$WORK/rss-warm.txt" "$WORK/rss-end.txt" | tee "$WORK/rss.txt" |
      awk '{ printf "worker %s: %d kB warm, %d kB at the end (%+.1f%%)\n", $1, $2, $3, ($3 - $2) * 100 / $2 }'
    [[ $(wc -l <"$WORK/rss.txt") -gt 0 ]] || die "no worker lived through the soak"
    awk '$3 > $2 * 1.10 { bad = 1 } END { exit bad }' "$WORK/rss.txt" ||
      die "a worker's memory grew by more than 10% during the soak"
    [[ $(connections) -le $warm_connections ]] ||
      die "database connections grew during the soak: $warm_connections -> $(connections)"
    say "ok: soak of ${LOAD_SECONDS}s: every worker within 10% of its warm memory; connections $warm_connections -> $(connections)"
  fi
fi
if [[ ${LOAD_ONLY:-0} == 1 ]]; then  # the load's figures alone (a short, repeatable run)
  say "LOAD_ONLY: the proof's other steps skipped"
  exit 0
fi

served_by() {  # how many of the request ids starting with $1 node $2 logged
  grep -c "\"request_id\": \"$1-" "$WORK/web$2.log" || true
}

# --- 1. one session, both nodes ------------------------------------------------------------
client login zju-admin "$DEMO_PASSWORD" >/dev/null || die "sign-in through nginx"
client pages 10 session >/dev/null || die "signed-in pages"
a=$(served_by session 1); b=$(served_by session 2)
[[ $a -gt 0 && $b -gt 0 ]] || die "the session was not used on both nodes ($a, $b)"
say "ok: signed in once; 10 signed-in pages served by node 1 ($a) and node 2 ($b)"

# --- 2. the login rate limit holds across both nodes --------------------------------------
posts() { grep -c '"method": "POST", "path": "/login"' "$WORK/web$1.log" || true; }
p1=$(posts 1); p2=$(posts 2)
# LOGIN_RATE_LIMIT is 5 per minute per client; the good sign-in above used one of them.
client ratelimit 4 >/dev/null || die "the login rate limit did not hold across the nodes"
p1=$(($(posts 1) - p1)); p2=$(($(posts 2) - p2))
[[ $p1 -gt 0 && $p2 -gt 0 ]] || die "the sign-in attempts did not reach both nodes ($p1, $p2)"
say "ok: 1 good + 4 wrong sign-ins, then 429, 429 (limit shared in Redis): node 1 answered $p1, node 2 $p2"

# --- 3. a member import runs on the worker -------------------------------------------------
before=$(sql "SELECT count(*) FROM member")
# The load's API writes leave rollup and compliance refreshes queued, each association's
# once however many writes asked for it, on a queue of their own that the worker takes after
# the default one: the import goes ahead of them.
llen() { redis-cli -p "$REDIS_PORT" llen "rq:queue:$1"; }
ahead=$(llen default); refreshes=$(llen refresh)
id=$(client import 300 | awk '{print $2}') || die "upload"
for _ in $(seq $((100 + 5 * ahead))); do
  state=$(sql "SELECT status FROM member_import WHERE id = $id"); [[ $state == queued ]] || break; sleep 0.2
done
[[ $state == done ]] || die "import $id ended $state ($ahead jobs ahead of it, $refreshes refreshes queued)"
say "the import had $ahead jobs ahead of it and $refreshes refreshes queued behind; $(llen refresh) refreshes still queued when it was done"
grep -q "run_job" "$WORK/worker1.log" || die "the worker did not run the job"
say "ok: import $id of 300 rows done by the worker ($(($(sql "SELECT count(*) FROM member") - before)) new members)"

# --- 4. metrics on the node, not through nginx to outsiders ---------------------------------
metrics=$(curl -s -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$WEB1/metrics")
grep -q '^kexie_http_requests_total{endpoint="members.index"' <<<"$metrics" || die "no request metrics"
grep -q '^kexie_queue_jobs{queue="default"} 0.0' <<<"$metrics" || die "no queue metrics"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics") == 404 ]] ||
  die "/metrics answered without the token"
say "ok: /metrics with METRICS_TOKEN on the node (multi-process mode); 404 without it"

# --- 5. one node down, requests keep succeeding --------------------------------------------
stop web1
client pages 20 nodedown >/dev/null || die "requests failed with node 1 down"
say "ok: node 1 stopped; 20 of 20 requests through nginx succeeded (node 2: $(served_by nodedown 2))"

# --- 6. PostgreSQL restarts under the running service --------------------------------------
pg_ctl_ restart -m fast
client pages 10 pgrestart >/dev/null || die "requests failed after the PostgreSQL restart"
say "ok: PostgreSQL restarted; 10 of 10 requests succeeded on the same gunicorn processes"

# --- 7. the worker dies mid-import; a new one finishes it ----------------------------------
id=$(client import "$IMPORT_ROWS" 1000 | awk '{print $2}') || die "upload"
for _ in $(seq 200); do
  [[ $(redis-cli -p "$REDIS_PORT" zcard rq:wip:default) -gt 0 ]] && break; sleep 0.05
done
[[ $(redis-cli -p "$REDIS_PORT" zcard rq:wip:default) -gt 0 ]] || die "the import job never started"
stop worker KILL  # the worker, its scheduler and its work horse, at once
state=$(sql "SELECT status FROM member_import WHERE id = $id")
[[ $state == queued ]] || die "the import finished before the worker was killed ($state); raise IMPORT_ROWS"
# RQ declares a started job abandoned when its heartbeat lapses (monitoring interval + 60 s);
# the next worker to start then re-queues it (the import is enqueued with retries).
expiry=$(redis-cli -p "$REDIS_PORT" zrange rq:wip:default 0 0 withscores | tail -1)
wait_s=$(( ${expiry%.*} - $(date +%s) + 1 ))
say "worker killed mid-import $id; its heartbeat lapses in ${wait_s}s"
sleep "$(( wait_s > 0 ? wait_s : 0 ))"
start worker2 "$WORK/worker2.log" "$BIN/flask" worker
for _ in $(seq 300); do
  state=$(sql "SELECT status FROM member_import WHERE id = $id"); [[ $state == queued ]] || break; sleep 0.2
done
[[ $state == done ]] || die "the re-run import $id ended $state"
say "ok: a new worker re-ran import $id: $(sql "SELECT imported_rows FROM member_import WHERE id = $id") rows, all or nothing"

# --- 8. an annual report is compiled on the worker ----------------------------------------
year=$(date +%Y)
period=$("$BIN/python" deploy/prove_client.py "$BASE" "$WORK/officer.txt" login zj-officer "$DEMO_PASSWORD" >/dev/null &&
  "$BIN/python" deploy/prove_client.py "$BASE" "$WORK/officer.txt" open_period "$year" | awk '{print $2}') ||
  die "the federation could not open the $year reporting period"
report=$(client compile "$period" 60 | awk '{print $2}') || die "the report was not compiled"
[[ $(sql "SELECT status || length(figures_hash) FROM annual_report WHERE id = $report") == compiled64 ]] ||
  die "report $report is not compiled with a hash"
say "ok: report $report for $year compiled on the worker, all or nothing, with its content hash"

say "PROOF PASSED in $(($(date +%s) - started))s"
