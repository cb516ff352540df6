# Shared by the origins and tls-many scenarios (sourced by native.sh like a scenario file, but it
# defines no scenario): a list of N URLs over H origins 127.0.x.y (x = o / 250, y = o % 250 + 1),
# URL i on origin i % H, then shuffled with a fixed seed (awk's rand() is deterministic for a
# seed), so origins interleave as in a crawl and every run and tool gets the same list.
# origin_list SCHEME N H PORT FILE
origin_list() {
  awk -v scheme="$1" -v n="$2" -v h="$3" -v port="$4" 'BEGIN {
    srand(15)
    for (i = 0; i < n; i++) {
      o = i % h
      printf "%.9f %s://127.0.%d.%d:%d/p/%d\n", rand(), scheme, int(o / 250), o % 250 + 1, port, i
    }
  }' | sort -k1,1 | cut -d' ' -f2 >"$5"
}
