#!/usr/bin/env bash
# Idle CPU and memory of the real agent-tui binary: it runs in tmux
# (a real terminal), attached to a relay server holding the tickets of
# CUSTOMERS seeded customers, with 10 chats open, and is left alone for
# SECONDS. Prints its CPU use from /proc/<pid>/stat and its RSS.
#
#   bash agent-tui/benches/idle_cpu.sh [CUSTOMERS] [SECONDS]
#
# Needs tmux. Uses release builds of relay-server and agent-tui.
set -euo pipefail
customers=${1:-5000}
seconds=${2:-60}
cd "$(dirname "$0")/../.."
cargo build --quiet --release -p relay-server -p agent-tui
bin=target/release
dir=$(mktemp -d)
session="idle-cpu-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
db=$dir/desk.db
$bin/relay-server --db "$db" migrate >/dev/null
$bin/relay-server --db "$db" seed --customers "$customers" >/dev/null
token=$($bin/relay-server --db "$db" agent add idle --role supervisor --queues L1,L2,VIP,SECURITY | sed -n 's/^token: //p')
RELAY_LOG=warn $bin/relay-server --db "$db" serve --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
server=$!
for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's|relay-server listening on http://||p' "$dir/out")
echo "" >"$dir/empty.toml"
tmux new-session -d -s "$session" -x 160 -y 48 -e TERM=xterm-256color \
  "$bin/agent-tui --url ws://$addr/v1/ws --token $token --config $dir/empty.toml --state-dir $dir --log-file $dir/tui.log"
for _ in $(seq 300); do tmux capture-pane -p -t "$session" | grep -q "● online" && break; sleep 0.1; done
# Open 10 chats: All tab (it starts on Unassigned), then open, back, down, ten times.
tmux send-keys -t "$session" h h
for _ in $(seq 10); do tmux send-keys -t "$session" Enter q j; sleep 0.2; done
sleep 1
tickets=$(tmux capture-pane -p -t "$session" | grep -o 'All [0-9]*' | head -1 | cut -d' ' -f2 || true)
tmux send-keys -t "$session" 1
sleep 3
pid=$(pgrep -n -f "$bin/agent-tui --url ws://$addr")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$seconds"
t1=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$seconds" -v rss="$rss" -v t="$tickets" -v c="$customers" 'BEGIN {
  printf "agent-tui idle for %d s with %s tickets (%d customers seeded), 10 chats open, 160x48:\n", s, t, c;
  printf "  CPU %.2f %% of one core (%d ticks at %d Hz)\n", 100 * (b - a) / hz / s, b - a, hz;
  printf "  RSS %.1f MB\n", rss / 1024 }'
