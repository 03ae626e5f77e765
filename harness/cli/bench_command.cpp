#include <fstream>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/reports/bench.h"
#include "harness/reports/watch_bench.h"
#include "harness/results/result_file.h"

namespace ctxshare {

int bench_command(const BenchArgs& a) {
  const CaseDef* def = find_case(a.case_id);
  if (def == nullptr) return bad_input("unknown case '" + a.case_id + "'");
  if (!a.json_path.empty())
    if (std::string why = check_writable(a.json_path); !why.empty()) return bad_input(why);
  nlohmann::json from;
  if (!a.from_path.empty()) {
    std::ifstream in(a.from_path);
    if (!in) return bad_input("bench: cannot read " + a.from_path);
    from = nlohmann::json::parse(in, nullptr, false);
    if (from.is_discarded() || !from.is_object()) return bad_input("bench: " + a.from_path + " is not the JSON of a bench");
  }
  const nlohmann::json bench = !from.is_null() ? from
                               : a.watch_cost  ? run_watch_cost_bench({a.watch_runs, a.launches, a.watch_reps})
                               : a.suite       ? run_suite_bench(a.suite_jobs)
                                               : run_bench(*def, {a.runs, a.repetitions});
  if (bench.is_null()) return 1;
  print_bench(bench);
  print_watch_cost(bench);
  if (!a.json_path.empty())
    if (std::string why = write_whole_file(a.json_path, bench.dump(1) + "\n"); !why.empty()) return bad_input(why);
  if (!a.svg_dir.empty())
    if (std::string why = write_bench_svgs(bench, a.svg_dir); !why.empty()) return bad_input(why);
  return 0;
}

int bench_child_command(int repetitions) {
  std::cout << mixing_benchmarks_in_this_process(repetitions).dump() << "\n";
  return 0;
}

}  // namespace ctxshare
