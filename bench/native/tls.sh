# Sourced by bench/native.sh. The TLS scenarios (issue #15 part 5), over an nginx of their own
# (bench/nginx-tls.conf: TLS 1.3 only, HTTP/1.1, the same 440-byte page as bench/nginx.conf).
#
#   tls-one   30,000 URLs on one origin (https://127.0.0.1:PORT) at -c 64, certificates checked
#             against a CA the script makes with openssl: sweep --cacert CA, wget2
#             --ca-certificate=CA, the bare undici loop with BARE_CA=CA.
#   tls-many  20,000 URLs over 500 origins (https://127.0.x.y:PORT, shuffled with a fixed seed as
#             in the origins scenario) at -c 128, certificate checks off on both sides: sweep
#             --insecure, wget2 --no-check-certificate, the bare loop with BARE_INSECURE=1.
#
# nginx writes one line per TLS connection ("r" resumed, "." full handshake) to handshakes.log;
# each run's lines are counted into $TMP/hs-<scenario> ("tool full resumed server_cpu_s"), so
# every row says how many handshakes the client made, how many resumed a session, handshakes per
# second, and the CPU seconds nginx's worker spent serving the run (a full handshake costs the
# server an RSA signature, a resumed one does not).
#
# The certificate: RSA 2048 (the common case; a full handshake costs the server an RSA signature,
# a resumed one does not), for 127.0.0.1 and localhost (subjectAltName), signed by the script's CA.

TLS_ONE_N=${TLS_ONE_N:-30000}
TLS_ONE_CONC=64
TLS_MANY_N=${TLS_MANY_N:-20000}
TLS_MANY_HOSTS=500
TLS_MANY_CONC=128
TLS_DIR=
TLS_PORT=

# The CA, the server certificate and the nginx, made once for both scenarios.
tls_start() {
  [[ -z $TLS_DIR ]] || return 0
  if ! "$NGINX" -V 2>&1 | grep -q with-http_ssl_module; then
    echo "bench:native: this nginx has no ssl module (Debian's nginx-light has it)" >&2
    exit 2
  fi
  command -v openssl >/dev/null 2>&1 || { echo "bench:native: missing openssl (sudo apt-get install openssl)" >&2; exit 2; }
  TLS_DIR=$TMP/tls
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=sweep-bench-ca
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
  ) 2>/dev/null
  TLS_PORT=$(free_port)
  TLS_STATUS_PORT=$(free_port)
  start_nginx "$REPO/bench/nginx-tls.conf" "$TLS_DIR" "$TLS_PORT" -e "s|@STATUS_PORT@|$TLS_STATUS_PORT|g"
  STATUS_PORT=$TLS_STATUS_PORT
  for _ in $(seq 50); do http_get /status >/dev/null 2>&1 && break; sleep 0.1; done
  unset STATUS_PORT
  # Its one worker: the process whose parent is the master (/proc/PID/stat field 4).
  TLS_WORKER=$(awk -v m="$(cat "$TLS_DIR/nginx.pid")" '$4 == m { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null)
}

# The nginx worker's user + sys CPU so far, in seconds (/proc/PID/stat fields 14 and 15, in ticks).
tls_server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$TLS_WORKER/stat"; }

tool_sweep_ca() { TOOL_CMD=(node "$SWEEP_BIN" -c "$2" -q --no-progress -o "$3" --cacert "$TLS_DIR/ca.pem" "$1"); }
tool_baseline_ca() { TOOL_CMD=(node "$BASELINE" -c "$2" -q --no-progress -o "$3" --cacert "$TLS_DIR/ca.pem" "$1"); }
tool_wget2_ca() { TOOL_CMD=(wget2 -q "--max-threads=$2" "--ca-certificate=$TLS_DIR/ca.pem" -i "$1" -O /dev/null); }
tool_bare_ca() { TOOL_CMD=(env "BARE_CA=$TLS_DIR/ca.pem" node "$REPO/bench/bare-undici.mjs" "$1" "$2"); }
tool_sweep_k() { TOOL_CMD=(node "$SWEEP_BIN" -c "$2" -q --no-progress -o "$3" --insecure "$1"); }
tool_baseline_k() { TOOL_CMD=(node "$BASELINE" -c "$2" -q --no-progress -o "$3" --insecure "$1"); }
tool_wget2_k() { TOOL_CMD=(wget2 -q "--max-threads=$2" --no-check-certificate -i "$1" -O /dev/null); }
tool_bare_k() { TOOL_CMD=(env BARE_INSECURE=1 node "$REPO/bench/bare-undici.mjs" "$1" "$2"); }

# tls_scenario NAME N LIST CONC TOOL... : run()s the tools alternately against the TLS nginx,
# counts each run's handshakes, prints every run and the medians. Sets SCEN and N like scenario().
tls_scenario() {
  SCEN=$1 N=$2
  local list=$3 conc=$4 log=$TLS_DIR/handshakes.log tool full resumed cpu0
  shift 4
  : >"$TMP/runs-$SCEN"
  : >"$TMP/hs-$SCEN"
  STATUS_PORT=$TLS_STATUS_PORT
  for _ in $(seq "$REPEATS"); do
    for tool in "$@"; do
      : >"$log" # nginx appends (O_APPEND), so truncating starts the count afresh
      cpu0=$(tls_server_cpu)
      run "$tool" "$N" "$list" "$conc"
      full=$(grep -c '^\.$' "$log" || true)
      resumed=$(grep -c '^r$' "$log" || true)
      echo "$tool $full $resumed $(awk -v a="$cpu0" -v b="$(tls_server_cpu)" 'BEGIN { printf "%.2f", b - a }')" >>"$TMP/hs-$SCEN"
    done
  done
  unset STATUS_PORT
  printf '%-12s %8s %10s %8s %8s %9s %10s %8s %8s %8s %8s\n' tool wall_s req/s user_s sys_s us/req rss_MB full resumed hs/s nginx_s
  paste -d' ' "$TMP/runs-$SCEN" "$TMP/hs-$SCEN" | awk -v n="$N" '{
    printf "%-12s %8.3f %10.0f %8.2f %8.2f %9.1f %10.1f %8d %8d %8.0f %8.2f\n", $1, $2, n / $2, $3, $4, ($3 + $4) * 1e6 / n, $5 / 1024, $7, $8, ($7 + $8) / $2, $9
  }'
  for tool in "$@"; do
    printf 'median %-12s %10.0f req/s %8.3f s %7.1f us/req %7.1f MB %6.0f handshakes (%s resumed) %6.0f handshakes/s, nginx %.2f s CPU\n' "$tool" \
      "$(med "$tool" rps)" "$(med "$tool" wall)" "$(med "$tool" us_per_req)" "$(med "$tool" rss_mb)" \
      "$(tls_hs "$tool" all)" "$(tls_hs "$tool" resumed)" "$(tls_hs "$tool" per_s)" "$(tls_hs "$tool" server_s)"
  done
  local first=$1 other
  shift
  for other in "$@"; do
    echo "ratio $first/$other: requests/s $(ratio "$(med "$first" rps)" "$(med "$other" rps)")," \
      "CPU per request $(ratio "$(med "$first" us_per_req)" "$(med "$other" us_per_req)")"
  done
}

# tls_hs TOOL all|resumed|per_s|server_s -> median over the current scenario's runs of TOOL.
tls_hs() {
  paste -d' ' "$TMP/runs-$SCEN" "$TMP/hs-$SCEN" | awk -v t="$1" -v f="$2" '$1 == t {
    if (f == "all") print $7 + $8
    else if (f == "resumed") print $8
    else if (f == "server_s") print $9
    else print ($7 + $8) / $2
  }' | median
}

# The tools of a scenario with suffix S (_ca or _k): sweep, the baseline build, wget2, the bare loop.
tls_tools() { echo "sweep$1" ${BASELINE:+"baseline$1"} "wget2$1"; if [[ $BARE == 1 ]]; then echo "bare$1"; fi; }

# FIG[<prefix>_<what>] for the budget rows, from the current scenario's medians.
tls_figures() {
  local p=$1 s=$2 tool
  FIG[${p}_ratio]=$(ratio "$(med "sweep$s" rps)" "$(med "wget2$s" rps)")
  for tool in sweep wget2 bare baseline; do
    grep -q "^$tool$s " "$TMP/runs-$SCEN" || continue
    FIG[${p}_${tool}_rps]=$(med "$tool$s" rps) FIG[${p}_${tool}_us]=$(med "$tool$s" us_per_req)
    FIG[${p}_${tool}_hs]=$(tls_hs "$tool$s" all) FIG[${p}_${tool}_resumed]=$(tls_hs "$tool$s" resumed)
    FIG[${p}_${tool}_hsps]=$(tls_hs "$tool$s" per_s) FIG[${p}_${tool}_srv]=$(tls_hs "$tool$s" server_s)
  done
}

scenario_tls-one() {
  echo
  echo "== tls-one: $TLS_ONE_N URLs on one https origin (TLS 1.3, --cacert), $TLS_ONE_CONC in flight, $REPEATS runs each, alternating"
  tls_start
  local list=$TMP/list-tls-one.txt
  seq 1 "$TLS_ONE_N" | sed "s|^|https://127.0.0.1:$TLS_PORT/p/|" >"$list"
  tls_scenario tls-one "$TLS_ONE_N" "$list" "$TLS_ONE_CONC" $(tls_tools _ca)
  tls_figures tls_one _ca
  rm -f "$list"
}

scenario_tls-many() {
  echo
  echo "== tls-many: $TLS_MANY_N URLs over $TLS_MANY_HOSTS https origins (127.0.x.y, shuffled, checks off), $TLS_MANY_CONC in flight, $REPEATS runs each, alternating"
  tls_start
  local list=$TMP/list-tls-many.txt
  origin_list https "$TLS_MANY_N" "$TLS_MANY_HOSTS" "$TLS_PORT" "$list"
  tls_scenario tls-many "$TLS_MANY_N" "$list" "$TLS_MANY_CONC" $(tls_tools _k)
  tls_figures tls_many _k
  rm -f "$list"
}

# One row's reference text: each client's requests/s, handshakes (resumed) and handshakes/s.
tls_reference() {
  local p=$1 tool out=""
  for tool in sweep baseline wget2 bare; do
    [[ -n ${FIG[${p}_${tool}_rps]:-} ]] || continue
    out+="$(printf '%s%s %.0f/s, %.0f hs (%.0f resumed), %.0f hs/s, nginx %.2f s' "${out:+; }" "$tool" "${FIG[${p}_${tool}_rps]}" \
      "${FIG[${p}_${tool}_hs]}" "${FIG[${p}_${tool}_resumed]}" "${FIG[${p}_${tool}_hsps]}" "${FIG[${p}_${tool}_srv]}")"
  done
  echo "$out"
}

tls_cpu_reference() {
  local p=$1 tool out=""
  for tool in baseline wget2 bare; do
    [[ -n ${FIG[${p}_${tool}_us]:-} ]] || continue
    out+="$(printf '%s%s %.1f us' "${out:+, }" "$tool" "${FIG[${p}_${tool}_us]}")"
  done
  echo "$out"
}

budget_tls-one() {
  row "sweep/wget2 requests/s, TLS, 1 origin, -c $TLS_ONE_CONC" ">= 0.60" "${FIG[tls_one_ratio]:-}" ">=" 0.60 "$(tls_reference tls_one)" '%.3f'
  row "CPU per request, sweep, TLS, 1 origin" "report" "${FIG[tls_one_sweep_us]:-}" ">=" 0 "$(tls_cpu_reference tls_one)" '%.1f us'
}

budget_tls-many() {
  row "sweep/wget2 requests/s, TLS, $TLS_MANY_HOSTS origins, -c $TLS_MANY_CONC" ">= 1.00" "${FIG[tls_many_ratio]:-}" ">=" 1.0 "$(tls_reference tls_many)" '%.3f'
  row "CPU per request, sweep, TLS, $TLS_MANY_HOSTS origins" "report" "${FIG[tls_many_sweep_us]:-}" ">=" 0 "$(tls_cpu_reference tls_many)" '%.1f us'
}
