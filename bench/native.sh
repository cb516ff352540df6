#!/usr/bin/env bash
# sweep against a native peer (wget2), in the same run, on the same lists, against the same nginx.
# Usage: npm run bench:native            (build first: npm run build)
#
# It starts nginx (Debian's nginx-light + libnginx-mod-http-echo) as this user's own process on a
# free 127.0.0.1 port with bench/nginx.conf, generates the URL lists into a temp dir, runs sweep
# and wget2 alternately (A B A B A B) and prints medians and the budget of issue #4. It installs
# nothing: a missing tool is named together with the apt command that provides it.
#
# A third client runs in the same alternation in the throughput and delay scenarios:
# bench/bare-undici.mjs, Node with undici's Agent and nothing else (no records, no stats, no
# timeouts). It is the floor of sweep's stack on this machine: the budget table shows its
# figure next to sweep's, so a miss can be read as sweep's overhead or the runtime's.
#
# Environment:
#   REPEATS=3        runs per tool per scenario (alternating)
#   SCENARIOS="throughput memory delay startup crawl warc dns tls-one tls-many origins"   which parts to run
#                    (crawl: a generated site of 20,000 pages of ~12 KB, 20 links each, gzip on;
#                    sweep --depth 1000 --scope prefix against wget2 -r -l inf --no-parent;
#                    warc: the throughput list with --warc out.warc.gz and --warc out.warc against
#                    the same crawl without, requests/s ratios)
#                    Scenarios in bench/native/<name>.sh are loaded too: each defines
#                    scenario_<name> (run it, set FIG[...]) and budget_<name> (print its rows).
#   BARE=0           leave the bare undici loop out of the alternation
#   BASELINE=path    another build's bin/sweep.js: also run it in the alternation (A B C ...) and
#                    print sweep/baseline ratios; how hot-path changes are measured
#   KEEP_TMP=1       keep the temp dir (lists, records, nginx logs)
#   KEEP_EXTRA_CA=1  leave NODE_EXTRA_CA_CERTS as it is (see below)
#
# NODE_EXTRA_CA_CERTS is unset for every run, of every tool alike, unless KEEP_EXTRA_CA=1. It is
# not a Node default, but some machines set it (this project's build machines point it at the
# system bundle): every node process then parses that whole bundle before running any code,
# ~80 ms of start-up on the 2-core machine (node -e 0: ~115 ms with it, ~35 ms without), which
# would be charged to whichever Node tool starts more processes. No scenario needs it: the TLS
# ones give their CA by option. The start-up scenario also reports both figures with it set.
#
# Figures: requests/s = URLs / wall time of the whole process (start-up included, for both tools);
# CPU = user + sys of the client process; peak RSS = max resident set (GNU time's %M).
# Exit status: 0 every bound met, 1 some bound missed or a run misbehaved, 2 missing tools.

set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "$0")/.." && pwd)
SWEEP_BIN=${SWEEP_BIN:-$REPO/bin/sweep.js}
REPEATS=${REPEATS:-3}
SCENARIOS=${SCENARIOS:-"throughput memory delay startup crawl warc dns tls-one tls-many origins"}
BASELINE=${BASELINE:-}
BARE=${BARE:-1}
MACHINE_EXTRA_CA=${NODE_EXTRA_CA_CERTS:-}
if [[ -n $MACHINE_EXTRA_CA && ${KEEP_EXTRA_CA:-0} != 1 ]]; then unset NODE_EXTRA_CA_CERTS; fi
CONC=64
N_SMALL=100000
N_LARGE=1000000
N_DELAY=10000
C_DELAY=1000
N_SITE=${N_SITE:-20000}

# ---- prerequisites -----------------------------------------------------------------------------

ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=("nginx (package nginx-light)")
[[ -f $ECHO_MODULE ]] || missing+=("$ECHO_MODULE (package libnginx-mod-http-echo)")
command -v wget2 >/dev/null 2>&1 || missing+=("wget2 (package wget2)")
[[ -x /usr/bin/time ]] || missing+=("/usr/bin/time (package time)")
command -v node >/dev/null 2>&1 || missing+=("node (Node.js >= 20.18.1)")
if ((${#missing[@]} > 0)); then
  echo "bench:native: missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "install them with:  sudo apt-get install nginx-light libnginx-mod-http-echo wget2 time" >&2
  exit 2
fi
if [[ ! -f $REPO/dist/cli.js ]]; then
  echo "bench:native: $REPO/dist/cli.js not found: run 'npm run build' first" >&2
  exit 2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# sweep at -c 1000 opens up to 1000 sockets and nginx as many: raise the soft limit if we may.
hard=$(ulimit -Hn)
if [[ $hard == unlimited ]] || ((hard >= 8192)); then ulimit -n 8192; else ulimit -n "$hard"; fi
if (($(ulimit -n) < 2 * C_DELAY + 100)); then
  echo "bench:native: warning: ulimit -n is $(ulimit -n); the -c $C_DELAY scenario needs ~$((2 * C_DELAY + 100))" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sweep-native.XXXXXX")
CHILD=
cleanup() {
  if [[ -n $CHILD ]]; then
    pkill -TERM -P "$CHILD" 2>/dev/null || true # the measured command, child of /usr/bin/time
    kill "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  local pidfile pid
  for pidfile in "$TMP"/nginx.pid "$TMP"/*/nginx.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [[ -z ${KEEP_TMP:-} ]]; then rm -rf "$TMP"; else echo "bench:native: kept $TMP" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- nginx ---------------------------------------------------------------------------------------

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# start_nginx TEMPLATE DIR PORT [sed args...]: an nginx of this user's own with its prefix, pid
# and logs under DIR (a scenario may start a second one, e.g. with TLS); cleanup() stops them all.
start_nginx() {
  local template=$1 dir=$2 port=$3
  shift 3
  mkdir -p "$dir/logs"
  sed -e "s|@TMP@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@ECHO_MODULE@|$ECHO_MODULE|g" "$@" "$template" >"$dir/nginx.conf"
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log"
}

PORT=$(free_port)
start_nginx "$REPO/bench/nginx.conf" "$TMP" "$PORT"

# One HTTP/1.0 request over bash's /dev/tcp: no curl needed. Prints the body.
# STATUS_PORT: the nginx whose counter run() checks (a scenario with an nginx of its own sets it).
http_get() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/${STATUS_PORT:-$PORT}" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  reply=$(cat <&3)
  exec 3<&-
  printf '%s' "${reply#*$'\r\n\r\n'}"
}
for _ in $(seq 50); do http_get /status >/dev/null 2>&1 && break; sleep 0.1; done
page_bytes=$(wget2 -q -O - "http://127.0.0.1:$PORT/p/1" | wc -c)
# stub_status' third line: accepts handled requests. Its own request is counted too.
served() { http_get /status | awk 'NR == 3 { print $3 }'; }

BASE="http://127.0.0.1:$PORT"
echo "sweep $(node "$SWEEP_BIN" --version) vs $(wget2 --version | head -1 | cut -d' ' -f1-3), node $(node --version)," \
  "nginx $("$NGINX" -v 2>&1 | cut -d/ -f2) on $BASE (1 worker, page $page_bytes bytes), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $MACHINE_EXTRA_CA && -z ${NODE_EXTRA_CA_CERTS:-} ]]; then
  echo "NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA is unset for every run of every tool (KEEP_EXTRA_CA=1 keeps it)"
fi

# ---- lists ---------------------------------------------------------------------------------------

make_list() { # n path-prefix file
  seq 1 "$1" | sed "s|^|$BASE$2|" >"$3"
}

# ---- one run -------------------------------------------------------------------------------------

# timed CMD... -> runs CMD under GNU time, in the background and waited for, so that a signal to
# this script interrupts the wait and cleanup() can end the run by its pid. Sets RC (its exit
# status) and WALL (seconds); $TMP/time.txt holds "user_s sys_s rss_kb".
timed() {
  local t0 t1
  RC=0
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$TMP/time.txt" "$@" &
  CHILD=$!
  wait "$CHILD" || RC=$?
  CHILD=
  t1=$(date +%s%N)
  WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

# run TOOL N LIST CONC -> appends "tool wall_s user_s sys_s rss_kb" to $TMP/runs-$SCEN
# and checks the work was done: nginx served N requests; sweep wrote N ok records.
run() {
  local tool=$1 n=$2 list=$3 conc=$4 before after out=$TMP/records.ndjson bin=
  local -a cmd=() warc=()
  # A scenario file may define tool_<name> LIST CONC OUT, which sets the array TOOL_CMD.
  if declare -F "tool_$tool" >/dev/null; then "tool_$tool" "$list" "$conc" "$out"; cmd=("${TOOL_CMD[@]}"); fi
  ((${#cmd[@]} > 0)) || case $tool in
    sweep | warcgz | warc) bin=$SWEEP_BIN ;;
    baseline | warcgz-base | warc-base) bin=$BASELINE ;;
    wget2) cmd=(wget2 -q "--max-threads=$conc" -i "$list" -O /dev/null) ;;
    bare) cmd=(node "$REPO/bench/bare-undici.mjs" "$list" "$conc") ;;
    barerec) cmd=(env "BARE_RECORDS=$TMP/bare-records.ndjson" node "$REPO/bench/bare-undici.mjs" "$list" "$conc") ;;
  esac
  if [[ -n $bin ]]; then
    case $tool in
      warcgz*) warc=(--warc "$TMP/w.warc.gz") ;;
      warc*) warc=(--warc "$TMP/w.warc") ;;
    esac
    rm -f "$TMP"/w.warc "$TMP"/w.warc.gz
    cmd=(node "$bin" -c "$conc" -q --no-progress -o "$out" "${warc[@]}" "$list")
  fi
  rm -f "$out"
  before=$(served)
  timed "${cmd[@]}"
  after=$(served)
  local got=$((after - before - 1))
  if ((RC != 0)); then echo "bench:native: $tool exited $RC" >&2; FAILED=1; fi
  if ((got != n)); then echo "bench:native: $tool: nginx served $got requests, expected $n" >&2; FAILED=1; fi
  if [[ $tool == sweep* || $tool == baseline* || $tool == warc* ]]; then
    local lines ok
    lines=$(wc -l <"$out")
    ok=$(grep -c '"ok":true' "$out" || true)
    if ((lines != n || ok != n)); then echo "bench:native: $tool wrote $lines records, $ok ok, expected $n" >&2; FAILED=1; fi
  fi
  read -r user sys rss <"$TMP/time.txt"
  echo "$tool $WALL $user $sys $rss" >>"$TMP/runs-$SCEN"
}

# crawl_run TOOL -> appends "tool wall_s user_s sys_s rss_kb pages" to $TMP/runs-crawl and
# the sorted list of pages it got (200s) to $TMP/pages-TOOL.
crawl_run() {
  local tool=$1 out=$TMP/crawl.ndjson dir=$TMP/wget2-site pages
  local -a cmd=()
  case $tool in
    sweep) cmd=(node "$SWEEP_BIN" -c "$CONC" -q --no-progress --depth 1000 --scope prefix -o "$out" "$TMP/seed.txt") ;;
    baseline) return ;; # 0.1 has no --depth
    wget2) cmd=(wget2 -q -r -l inf --no-parent --robots=off "--max-threads=$CONC" -P "$dir" "$BASE/site/") ;;
  esac
  rm -rf "$out" "$dir"
  timed "${cmd[@]}"
  # wget2 exits 8 when some page answered an error (the commented-out link it follows): not a failure here.
  if ((RC != 0 && RC != 8)); then echo "bench:native: crawl: $tool exited $RC" >&2; FAILED=1; fi
  if [[ $tool == sweep ]]; then
    { grep '"status":200' "$out" || true; } | sed -e 's/^.*"url":"//' -e 's/".*$//' -e "s|^$BASE||" | sort >"$TMP/pages-$tool"
  else
    # wget2 writes <dir>/<host>/site/...; its directory name for the host varies with the port.
    { (cd "$dir"/*/ 2>/dev/null && find . -type f) || true; } | sed -e 's|^\.||' -e 's|/index\.html$|/|' | sort >"$TMP/pages-$tool"
  fi
  pages=$(wc -l <"$TMP/pages-$tool")
  read -r user sys rss <"$TMP/time.txt"
  echo "$tool $WALL $user $sys $rss $pages" >>"$TMP/runs-crawl"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# med TOOL FIELD -> median over the runs of the current scenario. Fields: rps us_per_req rss_mb wall
med() {
  awk -v t="$1" -v f="$2" -v n="$N" '$1 == t {
    if (f == "rps") print n / $2
    else if (f == "us_per_req") print ($3 + $4) * 1e6 / n
    else if (f == "rss_mb") print $5 / 1024
    else if (f == "wall") print $2
  }' "$TMP/runs-$SCEN" | median
}

tools() { echo sweep ${BASELINE:+baseline} "$@"; }

scenario() { # name n list conc peer...
  SCEN=$1 N=$2
  local list=$3 conc=$4
  shift 4
  : >"$TMP/runs-$SCEN"
  for i in $(seq "$REPEATS"); do
    for tool in $(tools "$@"); do run "$tool" "$N" "$list" "$conc"; done
  done
  printf '%-9s %8s %10s %8s %8s %9s %10s\n' tool wall_s req/s user_s sys_s us/req rss_MB
  awk -v n="$N" '{ printf "%-9s %8.3f %10.0f %8.2f %8.2f %9.1f %10.1f\n", $1, $2, n / $2, $3, $4, ($3 + $4) * 1e6 / n, $5 / 1024 }' "$TMP/runs-$SCEN"
  for tool in $(tools "$@"); do
    printf 'median %-9s %10.0f req/s %8.3f s %7.1f us/req %7.1f MB\n' "$tool" "$(med "$tool" rps)" "$(med "$tool" wall)" "$(med "$tool" us_per_req)" "$(med "$tool" rss_mb)"
  done
  for other in "$@" ${BASELINE:+baseline}; do
    echo "ratio sweep/$other: requests/s $(ratio "$(med sweep rps)" "$(med "$other" rps)")," \
      "CPU per request $(ratio "$(med sweep us_per_req)" "$(med "$other" us_per_req)"), peak RSS $(ratio "$(med sweep rss_mb)" "$(med "$other" rss_mb)")"
  done
  if [[ " $* " == *" bare "* ]]; then
    echo "ratio bare/wget2: requests/s $(ratio "$(med bare rps)" "$(med wget2 rps)")," \
      "CPU per request $(ratio "$(med bare us_per_req)" "$(med wget2 us_per_req)")"
  fi
}

# The peers of the throughput and delay scenarios: wget2, and the bare undici loop unless BARE=0.
peers() { echo wget2; if [[ $BARE == 1 ]]; then echo bare; fi; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

FAILED=0
declare -A FIG

# Scenarios kept in files of their own (bench/native/<name>.sh).
for f in "$REPO"/bench/native/*.sh; do [[ -e $f ]] && source "$f"; done

for s in $SCENARIOS; do
  case $s in
    throughput)
      echo
      echo "== throughput: $N_SMALL distinct URLs, $CONC in flight, $REPEATS runs each, alternating"
      make_list "$N_SMALL" /p/ "$TMP/list-small.txt"
      # barerec: the bare loop writing one JSON line per URL (what records alone cost the floor).
      scenario throughput "$N_SMALL" "$TMP/list-small.txt" "$CONC" $(peers) $([[ $BARE == 1 ]] && echo barerec)
      FIG[rps_ratio]=$(ratio "$(med sweep rps)" "$(med wget2 rps)")
      FIG[sweep_rps]=$(med sweep rps) FIG[wget2_rps]=$(med wget2 rps)
      FIG[cpu_us]=$(med sweep us_per_req) FIG[wget2_cpu_us]=$(med wget2 us_per_req)
      FIG[rss_small]=$(med sweep rss_mb)
      if [[ $BARE == 1 ]]; then
        FIG[bare_rps_ratio]=$(ratio "$(med bare rps)" "$(med wget2 rps)") FIG[bare_cpu_us]=$(med bare us_per_req)
        FIG[sweep_bare_rps]=$(ratio "$(med sweep rps)" "$(med bare rps)") FIG[bare_rps]=$(med bare rps)
        FIG[barerec_bare_rps]=$(ratio "$(med barerec rps)" "$(med bare rps)")
      fi
      rm -f "$TMP/list-small.txt"
      ;;
    memory)
      echo
      echo "== memory: $N_LARGE distinct URLs, $CONC in flight, $REPEATS runs each, alternating"
      make_list "$N_LARGE" /p/ "$TMP/list-large.txt"
      scenario memory "$N_LARGE" "$TMP/list-large.txt" "$CONC" wget2
      FIG[rss_large]=$(med sweep rss_mb)
      rm -f "$TMP/list-large.txt"
      ;;
    delay)
      echo
      echo "== delay: $N_DELAY URLs x 100 ms, $C_DELAY in flight (ideal $((N_DELAY / C_DELAY * 100)) ms), $REPEATS runs each, alternating"
      make_list "$N_DELAY" /d/ "$TMP/list-delay.txt"
      scenario delay "$N_DELAY" "$TMP/list-delay.txt" "$C_DELAY" $(peers)
      FIG[delay_wall]=$(med sweep wall) FIG[wget2_delay_wall]=$(med wget2 wall)
      if [[ $BARE == 1 ]]; then FIG[bare_delay_wall]=$(med bare wall) FIG[sweep_bare_delay]=$(ratio "$(med bare wall)" "$(med sweep wall)"); fi
      ;;
    startup)
      echo
      echo "== start-up: 'sweep --version' and 'node -e 0'; a short run (100 URLs from a file) of sweep and of the bare loop; 11 runs each, alternating"
      : >"$TMP/startup"
      make_list 100 /p/ "$TMP/list-short.txt"
      # With the machine's NODE_EXTRA_CA_CERTS too, when it has one (the "ca" rows): for reference.
      local_ca=()
      [[ -n $MACHINE_EXTRA_CA && -z ${NODE_EXTRA_CA_CERTS:-} ]] && local_ca=(sweep-ca node-ca)
      for _ in $(seq 11); do
        for what in sweep node sweep-short bare-short "${local_ca[@]}"; do
          t0=$(date +%s%N)
          case $what in
            sweep) node "$SWEEP_BIN" --version >/dev/null ;;
            node) node -e 0 ;;
            # Start-up, the first connection, and the exit (src/short-run.ts says why it is there).
            sweep-short) node "$SWEEP_BIN" -q --no-progress -o /dev/null "$TMP/list-short.txt" ;;
            bare-short) node "$REPO/bench/bare-undici.mjs" "$TMP/list-short.txt" 64 ;;
            sweep-ca) NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA node "$SWEEP_BIN" --version >/dev/null ;;
            node-ca) NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA node -e 0 ;;
          esac
          t1=$(date +%s%N)
          echo "$what $(((t1 - t0) / 1000))" >>"$TMP/startup"
        done
      done
      FIG[version_ms]=$(awk '$1 == "sweep" { print $2 / 1000 }' "$TMP/startup" | median)
      FIG[node_ms]=$(awk '$1 == "node" { print $2 / 1000 }' "$TMP/startup" | median)
      echo "median sweep --version ${FIG[version_ms]} ms, node -e 0 ${FIG[node_ms]} ms"
      FIG[short_ms]=$(awk '$1 == "sweep-short" { print $2 / 1000 }' "$TMP/startup" | median)
      FIG[bare_short_ms]=$(awk '$1 == "bare-short" { print $2 / 1000 }' "$TMP/startup" | median)
      echo "median short run (100 URLs from a file): sweep ${FIG[short_ms]} ms, bare undici loop ${FIG[bare_short_ms]} ms"
      if ((${#local_ca[@]} > 0)); then
        FIG[version_ca_ms]=$(awk '$1 == "sweep-ca" { print $2 / 1000 }' "$TMP/startup" | median)
        FIG[node_ca_ms]=$(awk '$1 == "node-ca" { print $2 / 1000 }' "$TMP/startup" | median)
        echo "with NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA: median sweep --version ${FIG[version_ca_ms]} ms, node -e 0 ${FIG[node_ca_ms]} ms"
      fi
      ;;
    warc)
      echo
      echo "== warc: $N_SMALL distinct URLs, $CONC in flight, plain vs --warc .warc.gz vs --warc .warc, $REPEATS runs each, alternating"
      make_list "$N_SMALL" /p/ "$TMP/list-small.txt"
      SCEN=warc N=$N_SMALL
      : >"$TMP/runs-warc"
      # With BASELINE (a build that has --warc), its two WARC runs join the alternation: before/after.
      for _ in $(seq "$REPEATS"); do for tool in sweep warcgz warc ${BASELINE:+warcgz-base warc-base}; do run "$tool" "$N" "$TMP/list-small.txt" "$CONC"; done; done
      awk -v n="$N" '{ printf "%-11s %8.3f %10.0f %8.2f %8.2f %9.1f %10.1f\n", $1, $2, n / $2, $3, $4, ($3 + $4) * 1e6 / n, $5 / 1024 }' "$TMP/runs-warc"
      FIG[warcgz_ratio]=$(ratio "$(med warcgz rps)" "$(med sweep rps)")
      FIG[warc_ratio]=$(ratio "$(med warc rps)" "$(med sweep rps)")
      echo "ratio --warc .warc.gz / plain: requests/s ${FIG[warcgz_ratio]}; --warc .warc / plain: ${FIG[warc_ratio]}"
      if [[ -n $BASELINE ]]; then
        echo "ratio sweep/baseline, --warc .warc.gz: requests/s $(ratio "$(med warcgz rps)" "$(med warcgz-base rps)"), CPU per request $(ratio "$(med warcgz us_per_req)" "$(med warcgz-base us_per_req)");" \
          "--warc .warc: requests/s $(ratio "$(med warc rps)" "$(med warc-base rps)"), CPU per request $(ratio "$(med warc us_per_req)" "$(med warc-base us_per_req)")"
      fi
      rm -f "$TMP/list-small.txt" "$TMP"/w.warc*
      ;;
    crawl)
      echo
      echo "== crawl: a generated site of $N_SITE pages (~12 KB, 20 links each, gzip), $CONC in flight, $REPEATS runs each, alternating"
      node --input-type=module -e "
        import { mkdirSync, writeFileSync } from 'node:fs';
        import { sitePage } from '$REPO/dist/site.js';
        const n = $N_SITE, dir = '$TMP/www/site';
        mkdirSync(dir, { recursive: true });
        for (let i = 0; i < n; i++) writeFileSync(dir + '/p' + i + '.html', sitePage(i, n, 12288, 20));
        writeFileSync(dir + '/index.html', sitePage(0, n, 12288, 20));
      "
      # nginx's worker may run as another user (nobody, when the script runs as root).
      chmod a+x "$TMP"
      chmod -R a+rX "$TMP/www"
      echo "$BASE/site/" >"$TMP/seed.txt"
      SCEN=crawl N=$N_SITE
      : >"$TMP/runs-crawl"
      for _ in $(seq "$REPEATS"); do for tool in sweep wget2; do crawl_run "$tool"; done; done
      printf '%-9s %8s %10s %8s %8s %10s %8s\n' tool wall_s pages/s user_s sys_s rss_MB pages
      awk '{ printf "%-9s %8.3f %10.0f %8.2f %8.2f %10.1f %8d\n", $1, $2, $6 / $2, $3, $4, $5 / 1024, $6 }' "$TMP/runs-crawl"
      crawl_pps() { awk -v t="$1" '$1 == t { print $6 / $2 }' "$TMP/runs-crawl" | median; }
      FIG[crawl_ratio]=$(ratio "$(crawl_pps sweep)" "$(crawl_pps wget2)")
      FIG[crawl_sweep]=$(crawl_pps sweep) FIG[crawl_wget2]=$(crawl_pps wget2)
      if diff -q "$TMP/pages-sweep" "$TMP/pages-wget2" >/dev/null; then FIG[crawl_same]="the same $(wc -l <"$TMP/pages-sweep") pages"
      else
        FIG[crawl_same]="page sets DIFFER: sweep $(wc -l <"$TMP/pages-sweep"), wget2 $(wc -l <"$TMP/pages-wget2")"
        diff "$TMP/pages-sweep" "$TMP/pages-wget2" | head -5 >&2
        FAILED=1
      fi
      echo "median pages/s: sweep ${FIG[crawl_sweep]}, wget2 ${FIG[crawl_wget2]}; ratio ${FIG[crawl_ratio]}; ${FIG[crawl_same]}"
      rm -rf "$TMP/www" "$TMP/wget2-site"
      ;;
    *)
      if ! declare -F "scenario_$s" >/dev/null; then echo "bench:native: unknown scenario '$s'" >&2; exit 2; fi
      "scenario_$s"
      ;;
  esac
done

# ---- the budget ----------------------------------------------------------------------------------

echo
echo "== budget (issues #4, #13, #14, #15), load now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s %-10s %-12s %-6s %s\n' figure bound measured ok reference
row() { # label bound-text measured op limit reference
  local verdict
  if [[ -z $3 ]]; then
    printf '%-52s %-10s %-12s %-6s %s\n' "$1" "$2" "not run" - "$6"
    return
  fi
  verdict=$(awk -v m="$3" -v l="$5" -v op="$4" 'BEGIN { ok = (op == ">=") ? (m >= l) : (m <= l); print ok ? "PASS" : "FAIL" }')
  [[ $verdict == PASS ]] || FAILED=1
  printf '%-52s %-10s %-12s %-6s %s\n' "$1" "$2" "$(printf "$7" "$3")" "$verdict" "$6"
}
rss_ratio=""
[[ -n ${FIG[rss_small]:-} && -n ${FIG[rss_large]:-} ]] && rss_ratio=$(ratio "${FIG[rss_large]}" "${FIG[rss_small]}")
row "sweep/wget2 requests/s, $N_SMALL URLs, $CONC in flight" ">= 0.80" "${FIG[rps_ratio]:-}" ">=" 0.80 \
  "$(printf 'sweep %.0f/s, wget2 %.0f/s%s' "${FIG[sweep_rps]:-0}" "${FIG[wget2_rps]:-0}" "${FIG[bare_rps_ratio]:+; bare undici loop/wget2 ${FIG[bare_rps_ratio]}}")" '%.3f'
row "CPU per request, sweep (user+sys)" "<= 60 us" "${FIG[cpu_us]:-}" "<=" 60 \
  "$(printf 'wget2 %.1f us%s' "${FIG[wget2_cpu_us]:-0}" "${FIG[bare_cpu_us]:+, bare undici loop ${FIG[bare_cpu_us]} us}")" '%.1f us'
row "sweep/bare undici loop requests/s, same scenario" ">= 0.95" "${FIG[sweep_bare_rps]:-}" ">=" 0.95 \
  "$(printf 'sweep %.0f/s, bare loop %.0f/s' "${FIG[sweep_rps]:-0}" "${FIG[bare_rps]:-0}")${FIG[barerec_bare_rps]:+; the bare loop writing a JSON line per URL: ${FIG[barerec_bare_rps]} of itself}" '%.3f'
row "peak RSS, $N_LARGE vs $N_SMALL URLs" "<= 1.15x" "$rss_ratio" "<=" 1.15 \
  "$(printf '%.1f MB vs %.1f MB' "${FIG[rss_large]:-0}" "${FIG[rss_small]:-0}")" '%.3fx'
row "peak RSS, $N_LARGE URLs" "<= 160 MB" "${FIG[rss_large]:-}" "<=" 160 "" '%.1f MB'
row "$N_DELAY URLs x 100 ms at -c $C_DELAY, wall" "<= 1.25 s" "${FIG[delay_wall]:-}" "<=" 1.25 \
  "$(printf 'wget2 %.3f s%s, ideal 1.0 s' "${FIG[wget2_delay_wall]:-0}" "${FIG[bare_delay_wall]:+, bare undici loop ${FIG[bare_delay_wall]} s}")" '%.3f s'
row "bare loop wall / sweep wall, delay scenario" ">= 0.95" "${FIG[sweep_bare_delay]:-}" ">=" 0.95 \
  "$(printf 'sweep %.3f s, bare loop %.3f s' "${FIG[delay_wall]:-0}" "${FIG[bare_delay_wall]:-0}")" '%.3f'
row "sweep --version, wall" "<= 120 ms" "${FIG[version_ms]:-}" "<=" 120 \
  "$(printf 'node -e 0 %.1f ms' "${FIG[node_ms]:-0}")${FIG[short_ms]:+$(printf '; 100 URLs from a file: sweep %.0f ms, bare loop %.0f ms' "${FIG[short_ms]}" "${FIG[bare_short_ms]}")}${FIG[version_ca_ms]:+$(printf '; with the machine'"'"'s NODE_EXTRA_CA_CERTS: sweep %.1f ms, node -e 0 %.1f ms' "${FIG[version_ca_ms]}" "${FIG[node_ca_ms]}")}" '%.1f ms'
row "recursive crawl, sweep/wget2 pages/s" ">= 0.50" "${FIG[crawl_ratio]:-}" ">=" 0.50 \
  "$(printf 'sweep %.0f/s, wget2 %.0f/s, %s' "${FIG[crawl_sweep]:-0}" "${FIG[crawl_wget2]:-0}" "${FIG[crawl_same]:-}")" '%.3f'
row "--warc out.warc.gz / plain crawl, requests/s" ">= 0.75" "${FIG[warcgz_ratio]:-}" ">=" 0.75 \
  "${FIG[warc_ratio]:+--warc out.warc / plain ${FIG[warc_ratio]}}" '%.3f'
for s in $SCENARIOS; do if declare -F "budget_$s" >/dev/null; then "budget_$s"; fi; done
if ((FAILED)); then echo "bench:native: some bound missed or some run misbehaved (see above)"; exit 1; fi
echo "bench:native: every bound met"
