#include "harness/reports/bench.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/reports/environment.h"
#include "harness/results/result_file.h"
#include "harness/run/gpus.h"
#include "harness/run/process.h"
#include "harness/run/runner.h"

namespace ctxshare {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The floor: a bare process doing what every case process must, `runs` times.
bool measure_floor(int runs, nlohmann::json* out) {
  std::vector<double> floor_s, init_ms, primary_ms;
  for (int i = 0; i < runs; ++i) {
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const nlohmann::json inside = nlohmann::json::parse(run_self({"__floor"}, &status, 60), nullptr, false);
    floor_s.push_back(seconds_since(t0));
    if (inside.is_object()) {
      init_ms.push_back(inside.value("driver_init_ms", 0.0));
      primary_ms.push_back(inside.value("primary_retain_ms", 0.0));
    }
    if (status != 0) {
      std::fprintf(stderr, "ctxshare: bench: the floor process failed (status %d)\n", status);
      return false;
    }
  }
  (*out)["floor"]["bare process: load the driver, cuInit, primary context current, exit, s"] = summarize(floor_s, "s");
  (*out)["driver_start"]["load libcuda, resolve every function, cuInit(0), ms"] = summarize(init_ms, "ms");
  (*out)["driver_start"]["first cuDevicePrimaryCtxRetain in a process, ms"] = summarize(primary_ms, "ms");
  return true;
}

// The same work as a case under the harness: spawn, trace, validate, release, classify.
bool measure_case(const CaseDef& def, int runs, nlohmann::json* out) {
  std::vector<double> case_s;
  for (int i = 0; i < runs; ++i) {
    const auto r = run_cases({&def}, RunOptions{});
    if (r[0].outcome != Outcome::passed) {
      std::fprintf(stderr, "ctxshare: bench: %s did not pass: %s\n", def.id.c_str(), to_string(r[0].outcome));
      return false;
    }
    case_s.push_back(r[0].duration_s);
  }
  const nlohmann::json under_harness = summarize(case_s, "s");
  (*out)["floor"]["the same work as a case under the harness, s"] = under_harness;
  const double floor_median = (*out)["floor"]["bare process: load the driver, cuInit, primary context current, exit, s"]["median"];
  const double case_median = under_harness["median"];
  (*out)["harness_overhead"] = {{"case", def.id}, {"ratio_at_median", case_median / floor_median - 1}};
  return true;
}

// Bare floor processes, `jobs` at a time: one per entry of `visible`, shown those GPUs (empty: all of
// them), or, where `visible` holds "", one GPU each as run shows a one-device case. Returns the wall
// time, or a negative number when one failed.
double bare_processes(const std::vector<std::string>& visible, int jobs, const std::vector<std::string>& gpus) {
  struct Bare {
    Process proc;
    std::ptrdiff_t gpu;  // -1: not one of the pool's
  };
  std::vector<Bare> running;
  std::vector<int> load(gpus.size(), 0);
  std::size_t started = 0;
  bool failed = false;
  const auto t0 = std::chrono::steady_clock::now();
  while (started < visible.size() || !running.empty()) {
    while (started < visible.size() && static_cast<int>(running.size()) < jobs) {
      std::vector<std::pair<std::string, std::string>> env;
      std::ptrdiff_t gpu = -1;
      if (!visible[started].empty()) {
        env.emplace_back("CUDA_VISIBLE_DEVICES", visible[started]);
      } else if (!gpus.empty()) {
        gpu = std::min_element(load.begin(), load.end()) - load.begin();
        ++load[gpu];
        env.emplace_back("CUDA_VISIBLE_DEVICES", gpus[gpu]);
      }
      std::string error;
      Process p = spawn({"__floor"}, false, &error, env);
      if (p.pid < 0) return -1;
      running.push_back({p, gpu});
      ++started;
    }
    std::vector<pollfd> fds;
    for (const auto& b : running) fds.push_back({b.proc.out_fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 20);
    for (auto it = running.begin(); it != running.end();) {
      char buf[4096];
      while (::read(it->proc.out_fd, buf, sizeof buf) > 0) {
      }
      int status = 0;
      if (waitpid(it->proc.pid, &status, WNOHANG) != it->proc.pid) {
        ++it;
        continue;
      }
      failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
      ::close(it->proc.out_fd);
      if (it->gpu >= 0) --load[it->gpu];
      it = running.erase(it);
    }
  }
  return failed ? -1 : seconds_since(t0);
}

nlohmann::json one_value(double v, const char* unit) { return {{"unit", unit}, {"median", v}, {"min", v}, {"max", v}, {"samples", {v}}}; }

}  // namespace

std::vector<std::string> processes_started(const std::vector<CaseResult>& results, const std::vector<std::string>& gpus) {
  std::string all;
  for (const auto& g : gpus) all += (all.empty() ? "" : ",") + g;
  std::vector<std::string> visible;
  for (const auto& r : results) {
    if (r.id.empty()) continue;
    const std::string shown = r.visible_devices.empty() ? all : r.visible_devices;
    visible.push_back(shown);
    for (const auto& [key, value] : r.observations.items())
      if (key.rfind("peer ", 0) == 0 && key.size() > 7 && key.compare(key.size() - 7, 7, ": ended") == 0) visible.push_back(shown);
  }
  return visible;
}

nlohmann::json run_suite_bench(const std::vector<int>& jobs) {
  nlohmann::json out = {{"environment", environment_through_child()}, {"command", "ctxshare bench --suite"}};
  if (const std::string why = no_gpu_reason(out["environment"]); !why.empty()) {
    std::fprintf(stderr, "ctxshare: bench: needs a GPU: %s\n", why.c_str());
    return nullptr;
  }
  std::vector<const CaseDef*> suite;
  for (const auto& d : cases()) suite.push_back(&d);
  const std::vector<std::string> gpus = schedulable_gpus();
  out["settings"] = {{"cases", suite.size()}, {"gpus", gpus}};
  for (const int j : jobs) {
    RunOptions options;
    options.jobs = j;
    options.gpus = gpus;
    options.reruns = 0;  // the figure is of one attempt each, as the bare processes are
    const auto t0 = std::chrono::steady_clock::now();
    const auto results = run_cases(suite, options);
    const double suite_s = seconds_since(t0);
    // Two floors: as many bare processes as cases, each shown one GPU; and the processes the suite
    // started, bare: a case's peers are processes of their own, and a case that needs two GPUs
    // starts the driver on both (docs/performance.md, the suite figure).
    const std::vector<std::string> one_each(suite.size(), "");
    const std::vector<std::string> same = processes_started(results, gpus);
    const double bare_s = bare_processes(one_each, j, gpus);
    const double same_s = bare_s < 0 ? -1 : bare_processes(same, j, gpus);
    if (bare_s < 0 || same_s < 0) {
      std::fprintf(stderr, "ctxshare: bench: a bare process failed at -j %d\n", j);
      return nullptr;
    }
    const std::string at = "-j " + std::to_string(j) + ": ";
    out["suite"][at + "the whole suite, s"] = one_value(suite_s, "s");
    out["suite"][at + "as many bare processes, s"] = one_value(bare_s, "s");
    out["suite"][at + "the same processes bare, s"] = one_value(same_s, "s");
    out["suite_ratio"][std::to_string(j)] = suite_s / bare_s;
    out["suite_ratio_same_processes"][std::to_string(j)] = suite_s / same_s;
    out["settings"]["processes"] = same.size();
    std::printf("-j %-3d suite %7.1f s   %zu bare processes %7.1f s (ratio %.3f)   the same %zu processes bare %7.1f s (ratio %.3f)\n", j,
                suite_s, suite.size(), bare_s, suite_s / bare_s, same.size(), same_s, suite_s / same_s);
    std::fflush(stdout);
  }
  return out;
}

nlohmann::json summarize(const std::vector<double>& samples, const std::string& unit) {
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  const double median = s.empty() ? 0 : s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
  return {{"unit", unit}, {"median", median}, {"min", s.empty() ? 0 : s.front()}, {"max", s.empty() ? 0 : s.back()},
          {"samples", samples}};
}

nlohmann::json run_bench(const CaseDef& against, const BenchOptions& options) {
  nlohmann::json out = {{"environment", environment_through_child()}, {"command", "ctxshare bench"}};
  // The probe knows why no GPU can be used; said up front, instead of a floor process failing for it.
  if (const std::string why = no_gpu_reason(out["environment"]); !why.empty()) {
    std::fprintf(stderr, "ctxshare: bench: needs a GPU: %s\n", why.c_str());
    return nullptr;
  }
  if (!measure_floor(options.runs, &out) || !measure_case(against, options.runs, &out)) return nullptr;
  int status = 0;
  const std::string mixing = run_self({"__bench", "--repetitions", std::to_string(options.repetitions)}, &status, 600);
  nlohmann::json benchmarks = nlohmann::json::parse(mixing, nullptr, false);
  if (status != 0 || benchmarks.is_discarded()) {
    std::fprintf(stderr, "ctxshare: bench: the benchmark process failed (status %d)\n", status);
    return nullptr;
  }
  out.update(benchmarks);
  return out;
}

namespace {
// A group's rows, or the ratios, in the order a reader expects: numbers in names compared as numbers
// ("-j 1", "-j 4", "-j 16"), where the JSON object keeps its keys in text order ("-j 16" before "-j 1:").
std::vector<std::pair<std::string, const nlohmann::json*>> in_natural_order(const nlohmann::json& object) {
  std::vector<std::pair<std::string, const nlohmann::json*>> rows;
  for (const auto& [name, value] : object.items()) rows.emplace_back(name, &value);
  auto less = [](const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
        std::size_t ie = i, je = j;
        while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
        while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
        const unsigned long long x = std::stoull(a.substr(i, ie - i)), y = std::stoull(b.substr(j, je - j));
        if (x != y) return x < y;
        i = ie, j = je;
      } else {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i, ++j;
      }
    }
    return a.size() - i < b.size() - j;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& x, const auto& y) { return less(x.first, y.first); });
  return rows;
}
}  // namespace

void print_bench(const nlohmann::json& bench) {
  for (const auto& [group, rows] : bench.items()) {
    if (!rows.is_object() || group == "environment" || group == "settings" || group == "clocks" || group == "harness_overhead" ||
        group == "suite_ratio" || group == "suite_ratio_same_processes" || group == "watch_cost_ratio" || group == "watch_check")
      continue;
    std::printf("%s\n", group.c_str());
    for (const auto& [name, row] : in_natural_order(rows))
      if (const auto& s = *row; s.is_object() && s.contains("median"))
        std::printf("  %-72s median %10.4g  min %10.4g  max %10.4g\n", name.c_str(), s["median"].get<double>(),
                    s["min"].get<double>(), s["max"].get<double>());
  }
  if (bench.contains("harness_overhead"))
    std::printf("harness overhead at the median: %.1f%% of the floor\n", 100 * bench["harness_overhead"]["ratio_at_median"].get<double>());
  if (bench.contains("suite_ratio"))
    for (const auto& [j, ratio] : in_natural_order(bench["suite_ratio"]))
      std::printf("the whole suite at -j %s: %.3fx the time of as many bare processes\n", j.c_str(), ratio->get<double>());
  if (bench.contains("suite_ratio_same_processes"))
    for (const auto& [j, ratio] : in_natural_order(bench["suite_ratio_same_processes"]))
      std::printf("the whole suite at -j %s: %.3fx the time of its own %s processes run bare\n", j.c_str(), ratio->get<double>(),
                  bench.contains("settings") ? bench["settings"].value("processes", nlohmann::json(0)).dump().c_str() : "?");
}

std::string write_bench_svgs(const nlohmann::json& bench, const std::string& out_dir) {
  namespace fs = std::filesystem;
  for (const char* group : {"floor", "driver_start", "launch", "switch", "first_use", "contexts", "suite"}) {
    if (!bench.contains(group)) continue;
    const auto& rows = bench[group];
    double top = 0;
    for (const auto& [name, s] : rows.items()) top = std::max(top, s.value("max", 0.0));
    if (top <= 0) top = 1;
    const int row_h = 34, left = 430, width = 420, height = 50 + row_h * static_cast<int>(rows.size());
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(left + width + 120) + "\" height=\"" +
                      std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">ctxshare bench: " +
           std::string(group) + " (median, bar; min to max, line)</text>\n";
    int y = 40;
    for (const auto& [name, row] : in_natural_order(rows)) {
      const auto& s = *row;
      const double median = s.value("median", 0.0), lo = s.value("min", 0.0), hi = s.value("max", 0.0);
      auto x = [&](double v) { return left + v / top * width; };
      std::string label;
      for (char c : name) label += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
      char buf[1024];
      std::snprintf(buf, sizeof buf,
                    "<text x=\"10\" y=\"%d\">%s</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#6a9fd4\"/>\n"
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>\n<text x=\"%.1f\" y=\"%d\">%.3g %s</text>\n",
                    y + 12, label.c_str(), left, y, x(median) - left, x(lo), x(hi), y + 8, y + 8, x(hi) + 6, y + 12, median,
                    s.value("unit", "").c_str());
      svg += buf;
      y += row_h;
    }
    svg += "</svg>\n";
    if (std::string why = write_whole_file((fs::path(out_dir) / ("bench-" + std::string(group) + ".svg")).string(), svg); !why.empty())
      return why;
  }
  return {};
}

}  // namespace ctxshare
