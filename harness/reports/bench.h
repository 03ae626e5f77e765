// `ctxshare bench`: what mixing costs. Benchmarks, not tests: no thresholds, only numbers with their
// spread, the GPU and its clocks. The CUDA work runs in child processes (__floor, __bench), like cases:
// bench.cu is their side, bench.cpp the scheduling side's.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/results/results.h"
#include "harness/spec/spec.h"

namespace ctxshare {

// Median, minimum, maximum and the samples, in the unit given.
nlohmann::json summarize(const std::vector<double>& samples, const std::string& unit);

// The child of `__floor`: what every case process pays at least: start, load the driver, cuInit,
// make the primary context current, synchronize, release it, exit.
int floor_in_this_process();

// The child of `__bench`: the mixing benchmarks, as JSON on stdout.
nlohmann::json mixing_benchmarks_in_this_process(int repetitions);

struct BenchOptions {
  int runs = 30;         // processes for the floor and for the case
  int repetitions = 20;  // samples of each mixing benchmark
};
// Runs the benchmarks from the scheduling process: the floor and `against` in `runs` processes each,
// then the mixing benchmarks in a child. A failure is said on stderr and gives null.
nlohmann::json run_bench(const CaseDef& against, const BenchOptions& options);
// The suite figure: for each -j, the whole suite's wall time next to as many bare processes (the
// floor's work only) at the same parallelism, both spread over the GPUs as run spreads cases. What
// the harness adds to a suite run beyond what CUDA start-up costs anyway. A failure gives null.
nlohmann::json run_suite_bench(const std::vector<int>& jobs);

// The processes a run started, each as the CUDA_VISIBLE_DEVICES it had: one per case, as the
// scheduler showed it its GPUs (all of them where it chose none), and one per peer the case started
// (its "peer NAME: ended" observation, case/peer.h), shown what its case was.
std::vector<std::string> processes_started(const std::vector<CaseResult>& results, const std::vector<std::string>& gpus);

// The medians, minima and maxima of each group, and the harness's overhead.
void print_bench(const nlohmann::json& bench);

// One SVG bar chart (median, with a min-max whisker) per benchmark group of a bench result.
std::string write_bench_svgs(const nlohmann::json& bench, const std::string& out_dir);

}  // namespace ctxshare
