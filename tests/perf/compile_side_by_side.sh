#!/bin/bash
# The compile and roll-up benchmark (tests/perf/test_dashboards_and_reports.py, ratio 4) of two
# trees side by side in one run, alternating: before, after, before, after, ... Each run makes a
# scale database of its own; each tree's JSON of each round is kept in OUT.
#   tests/perf/compile_side_by_side.sh BEFORE_TREE AFTER_TREE [ROUNDS] [OUT]
# e.g. with the branch point in a worktree of its own:
#   git worktree add --detach ../before <commit> && tests/perf/compile_side_by_side.sh ../before .
set -eu
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); rounds=${3:-3}; out=${4:-/tmp/compile_side_by_side}
mkdir -p "$out"
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://root@127.0.0.1:5432/postgres}
for round in $(seq "$rounds"); do
  for side in before after; do
    tree=$before; [ "$side" = after ] && tree=$after
    echo "== round $round $side $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/log"
    (cd "$tree" && .venv/bin/python -m pytest tests/perf/test_dashboards_and_reports.py -k compiles \
      -p no:randomly -p no:cacheprovider -s -q >>"$out/log" 2>&1 \
      && cp tests/perf/results/report_compile.json "$out/$side-$round.json")
    grep -A3 "^annual report compile" "$out/log" | tail -3
  done
done
