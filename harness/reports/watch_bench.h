// `ctxshare bench --watch-cost` (docs/watch.md): the launch loop of watch/bench_launches.cu bare and
// under the interposer of `ctxshare watch`, alternating; medians and their ratio per loop.
#pragma once

#include <nlohmann/json.hpp>

namespace ctxshare {

struct WatchCostOptions {
  int runs = 15;            // processes of each kind
  int launches = 100000;    // launches per loop
  int reps = 5;             // timed loops of each kind per process, after a warm-up
};
// {"environment", "settings", "watch_cost": {loop, bare|under watch: summary of every timed loop of
// every process}, "watch_cost_ratio": {loop: watched median / bare median}, "watch_cost_target", "watch_check": {"processes", "loaded",
// "hazards"}}. Without a GPU, or without the loop program or the interposer: a line on standard
// error and null.
nlohmann::json run_watch_cost_bench(const WatchCostOptions& options);
// The ratios and what the interposer saw, after print_bench's medians.
void print_watch_cost(const nlohmann::json& bench);

}  // namespace ctxshare
