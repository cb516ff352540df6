# The dns scenario of bench:native (issue #15 part 4), sourced by bench/native.sh.
#
# 10,000 URLs over 10,000 distinct host names, http://h<N>.crawl.test:$PORT/p/<N>, against the
# main nginx (it answers any Host), each name resolved by bench/dns-server.mjs: a DNS responder
# on loopback that answers after DNS_DELAY_MS (20 ms, a resolver a round trip away) and counts
# the queries it gets. Alternating, REPEATS runs each:
#
#   sweepgai   sweep as it resolves by default: getaddrinfo on libuv's 4 pool threads. "Before".
#   sweepdns   sweep --dns-server 127.0.0.1:<port>: c-ares, cached (src/net/resolver.ts). "After".
#   sweepdns0  the same against a second responder that answers at once: what the crawl costs
#              when DNS costs nothing, so sweepdns/sweepdns0 says whether DNS is still the limit.
#   wget2gai   only with WGET2_DNS=1: wget2 --max-threads=C_DNS, resolving with getaddrinfo too.
#              Off by default: at 45 URLs/s it takes ~4 minutes a run.
#
# getaddrinfo asks the servers in /etc/resolv.conf, on port 53 only, and neither sweep's
# default path nor wget2 has an option to point it elsewhere (wget2 has no DNS server option
# at all). So the *gai runs happen in a private mount namespace (`unshare -m`) where a
# resolv.conf naming 127.0.0.1 is bind-mounted over /etc/resolv.conf, with the responder on
# 127.0.0.1:53: the real getaddrinfo path, the machine's own file untouched. That needs root
# (or user namespaces) and a free port 53; without them the *gai runs are skipped and the
# budget says "not run" for that row.
#
# Lookups are counted at the responders: their A queries during a run (each lookup, c-ares' and
# glibc's alike, sends an A and an AAAA query at once). lookups/s = A queries / wall time.

N_DNS=${N_DNS:-10000}
C_DNS=${C_DNS:-256}
DNS_DELAY_MS=${DNS_DELAY_MS:-20}
DNS_PORT=
DNS_STATUS=
DNS_PID=
DNS0_PORT=
DNS0_STATUS=
DNS0_PID=

tool_sweepdns() { TOOL_CMD=(node "$SWEEP_BIN" -c "$2" -q --no-progress --dns-server "127.0.0.1:$DNS_PORT" -o "$3" "$1"); }
tool_sweepdns0() { TOOL_CMD=(node "$SWEEP_BIN" -c "$2" -q --no-progress --dns-server "127.0.0.1:$DNS0_PORT" -o "$3" "$1"); }
# In a mount namespace of its own: /etc/resolv.conf -> nameserver 127.0.0.1 (the responder on :53).
dns_ns() { TOOL_CMD=(unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$TMP/dns-resolv.conf" "$@"); }
tool_sweepgai() { dns_ns node "$SWEEP_BIN" -c "$2" -q --no-progress -o "$3" "$1"; }
tool_wget2gai() { dns_ns wget2 -q "--max-threads=$2" -i "$1" -O /dev/null; }

# dns_counts TOOL -> "A AAAA other": queries the responder TOOL uses has answered so far.
dns_counts() {
  local reply status=$DNS_STATUS
  [[ $1 == sweepdns0 ]] && status=$DNS0_STATUS
  exec 4<>"/dev/tcp/127.0.0.1/$status" || return 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&4
  reply=$(cat <&4)
  exec 4<&-
  printf '%s' "${reply##*$'\r\n\r\n'}"
}

dns_stop() {
  local pid
  for pid in $DNS_PID $DNS0_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  DNS_PID= DNS0_PID=
}

# dns_responder PORT DELAY_MS READY [ERRORS]: starts bench/dns-server.mjs in the background (its
# pid in RESPONDER_PID; its stderr to ERRORS, else the script's own) and waits up to 5 s for its
# ready line in READY, or until it exits (a port it cannot bind). Not `2>/dev/stderr`: when the
# script's stderr is a file (npm run bench:native >log 2>&1), that reopens it with O_TRUNC and
# empties the log so far.
dns_responder() {
  if [[ -n ${4:-} ]]; then
    node "$REPO/bench/dns-server.mjs" --port "$1" --delay "$2" >"$3" 2>"$4" &
  else
    node "$REPO/bench/dns-server.mjs" --port "$1" --delay "$2" >"$3" &
  fi
  RESPONDER_PID=$!
  for _ in $(seq 50); do [[ -s $3 ]] && break; kill -0 "$RESPONDER_PID" 2>/dev/null || break; sleep 0.1; done
}

scenario_dns() {
  local gai=1 port=53 tools tool c0 c1
  echo
  : >"$TMP/dns-probe"
  if ! unshare -m mount --bind /dev/null "$TMP/dns-probe" 2>/dev/null; then
    gai=0 port=0
    echo "bench:native: dns: no private mount namespace here (unshare -m needs root): getaddrinfo runs skipped" >&2
  fi
  printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$TMP/dns-resolv.conf"
  dns_responder "$port" "$DNS_DELAY_MS" "$TMP/dns-ready" "$TMP/dns-error"
  DNS_PID=$RESPONDER_PID
  trap 'dns_stop; cleanup' EXIT
  if [[ ! -s $TMP/dns-ready && $port == 53 ]]; then
    echo "bench:native: dns: cannot bind 127.0.0.1:53 ($(head -1 "$TMP/dns-error")): getaddrinfo runs skipped" >&2
    gai=0
    dns_responder 0 "$DNS_DELAY_MS" "$TMP/dns-ready"
    DNS_PID=$RESPONDER_PID
  fi
  read -r _ DNS_PORT _ DNS_STATUS <"$TMP/dns-ready"
  dns_responder 0 0 "$TMP/dns0-ready"
  DNS0_PID=$RESPONDER_PID
  read -r _ DNS0_PORT _ DNS0_STATUS <"$TMP/dns0-ready"
  echo "== dns: $N_DNS URLs over $N_DNS host names, each answered after $DNS_DELAY_MS ms by a DNS responder on 127.0.0.1:$DNS_PORT," \
    "$C_DNS in flight, $REPEATS runs each, alternating, load $(cut -d' ' -f1-3 /proc/loadavg)"
  seq 1 "$N_DNS" | awk -v p="$PORT" '{ print "http://h" $1 ".crawl.test:" p "/p/" $1 }' >"$TMP/list-dns.txt"
  tools="sweepdns sweepdns0"
  ((gai)) && tools="sweepgai $tools${WGET2_DNS:+ wget2gai}"
  SCEN=dns N=$N_DNS
  : >"$TMP/runs-dns"
  : >"$TMP/dns-lookups"
  for _ in $(seq "$REPEATS"); do
    for tool in $tools; do
      c0=$(dns_counts "$tool")
      run "$tool" "$N" "$TMP/list-dns.txt" "$C_DNS"
      c1=$(dns_counts "$tool")
      # tool A AAAA wall
      echo "$tool $c0 $c1 $(tail -1 "$TMP/runs-dns" | cut -d' ' -f2)" | awk '{ print $1, $5 - $2, $6 - $3, $8 }' >>"$TMP/dns-lookups"
    done
  done
  dns_stop
  trap cleanup EXIT
  printf '%-9s %8s %10s %8s %8s %10s %8s %8s %12s\n' tool wall_s URLs/s user_s sys_s rss_MB A AAAA lookups/s
  paste -d' ' "$TMP/runs-dns" "$TMP/dns-lookups" |
    awk -v n="$N" '{ printf "%-9s %8.3f %10.0f %8.2f %8.2f %10.1f %8d %8d %12.0f\n", $1, $2, n / $2, $3, $4, $5 / 1024, $7, $8, $7 / $2 }'
  dns_lps() { awk -v t="$1" '$1 == t { print $2 / $4 }' "$TMP/dns-lookups" | median; }
  for tool in $tools; do
    printf 'median %-9s %10.0f URLs/s %10.0f lookups/s %8.3f s %7.1f MB\n' "$tool" "$(med "$tool" rps)" "$(dns_lps "$tool")" "$(med "$tool" wall)" "$(med "$tool" rss_mb)"
  done
  FIG[dns_rps]=$(med sweepdns rps) FIG[dns_lps]=$(dns_lps sweepdns) FIG[dns0_rps]=$(med sweepdns0 rps)
  FIG[dns_free_ratio]=$(ratio "${FIG[dns_rps]}" "${FIG[dns0_rps]}")
  echo "ratio --dns-server at $DNS_DELAY_MS ms / at 0 ms: URLs/s ${FIG[dns_free_ratio]}"
  if ((gai)); then
    FIG[dns_gai_rps]=$(med sweepgai rps) FIG[dns_gai_lps]=$(dns_lps sweepgai)
    FIG[dns_ratio]=$(ratio "${FIG[dns_rps]}" "${FIG[dns_gai_rps]}")
    echo "ratio --dns-server / getaddrinfo: URLs/s ${FIG[dns_ratio]}"
    if [[ -n ${WGET2_DNS:-} ]]; then
      FIG[dns_wget2_rps]=$(med wget2gai rps) FIG[dns_wget2_lps]=$(dns_lps wget2gai)
      FIG[dns_wget2_ratio]=$(ratio "${FIG[dns_rps]}" "${FIG[dns_wget2_rps]}")
      echo "ratio sweep --dns-server / wget2 (getaddrinfo): URLs/s ${FIG[dns_wget2_ratio]}"
    fi
  fi
  rm -f "$TMP/list-dns.txt"
}

budget_dns() {
  row "DNS $N_DNS hosts x $DNS_DELAY_MS ms: --dns-server/getaddrinfo URLs/s" ">= 3.0" "${FIG[dns_ratio]:-}" ">=" 3.0 \
    "$(printf 'sweep --dns-server %.0f/s (%.0f lookups/s), getaddrinfo %.0f/s (%.0f lookups/s)' "${FIG[dns_rps]:-0}" "${FIG[dns_lps]:-0}" "${FIG[dns_gai_rps]:-0}" "${FIG[dns_gai_lps]:-0}")" '%.3f'
  row "DNS $N_DNS hosts: URLs/s, DNS at $DNS_DELAY_MS ms / at 0 ms" ">= 0.90" "${FIG[dns_free_ratio]:-}" ">=" 0.90 \
    "$(printf 'with an instant DNS %.0f/s%s' "${FIG[dns0_rps]:-0}" "${FIG[dns_wget2_rps]:+; wget2 (getaddrinfo) ${FIG[dns_wget2_rps]}/s}")" '%.3f'
}
