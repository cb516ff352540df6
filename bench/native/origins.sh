# Sourced by bench/native.sh. The origins scenario (issue #15 part 3): 100,000 URLs over 1,000
# origins at -c 256, sweep against wget2 (--max-threads=256) and the bare undici loop.
#
# Origins are http://127.0.x.y:PORT (x 0..3, y 1..250), all answered by one nginx of the
# scenario's own (bench/nginx-origins.conf) listening on PORT on every address; its stub_status
# is on a second port of 127.0.0.1 (STATUS_PORT), which run() reads to check each run's work.
#
# Order of the list: 100 URLs per origin, shuffled with a fixed seed (the same list every run
# and for every tool). A crawl seldom reads one host's URLs in a row (lists are merged from many
# sources, frontiers interleave hosts on purpose), and a sorted list would be the easy case: 256
# requests in flight on two or three origins, every socket kept busy. Shuffled, the 256 requests
# in flight are spread over ~230 origins and each origin's connections sit idle between its
# URLs: the idle-connection and per-origin costs a crawl really pays.

ORIGINS_N=${ORIGINS_N:-100000}
ORIGINS_HOSTS=1000
ORIGINS_CONC=256

scenario_origins() {
  echo
  echo "== origins: $ORIGINS_N URLs over $ORIGINS_HOSTS origins (127.0.x.y, shuffled), $ORIGINS_CONC in flight, $REPEATS runs each, alternating"
  local dir=$TMP/origins port status_port list=$TMP/list-origins.txt
  port=$(free_port)
  status_port=$(free_port)
  while [[ $status_port == "$port" ]]; do status_port=$(free_port); done
  start_nginx "$REPO/bench/nginx-origins.conf" "$dir" "$port" -e "s|@STATUS_PORT@|$status_port|g"
  STATUS_PORT=$status_port
  for _ in $(seq 50); do http_get /status >/dev/null 2>&1 && break; sleep 0.1; done
  origin_list http "$ORIGINS_N" "$ORIGINS_HOSTS" "$port" "$list"
  scenario origins "$ORIGINS_N" "$list" "$ORIGINS_CONC" $(peers)
  FIG[origins_ratio]=$(ratio "$(med sweep rps)" "$(med wget2 rps)")
  FIG[origins_sweep]=$(med sweep rps) FIG[origins_wget2]=$(med wget2 rps)
  FIG[origins_rss]=$(med sweep rss_mb)
  if [[ $BARE == 1 ]]; then FIG[origins_bare]=$(med bare rps) FIG[origins_bare_rss]=$(med bare rss_mb); fi
  unset STATUS_PORT
  rm -f "$list"
}

budget_origins() {
  row "sweep/wget2 requests/s, $ORIGINS_HOSTS origins, -c $ORIGINS_CONC" ">= 0.80" "${FIG[origins_ratio]:-}" ">=" 0.80 \
    "$(printf 'sweep %.0f/s, wget2 %.0f/s%s' "${FIG[origins_sweep]:-0}" "${FIG[origins_wget2]:-0}" "${FIG[origins_bare]:+, bare undici loop $(printf '%.0f' "${FIG[origins_bare]}")/s}")" '%.3f'
  row "peak RSS, $ORIGINS_HOSTS origins, -c $ORIGINS_CONC" "<= 200 MB" "${FIG[origins_rss]:-}" "<=" 200 \
    "${FIG[origins_bare_rss]:+$(printf 'bare undici loop %.1f MB' "${FIG[origins_bare_rss]}")}" '%.1f MB'
}
