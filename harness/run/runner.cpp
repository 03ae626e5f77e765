#include "harness/run/runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "harness/run/event_stream.h"
#include "harness/run/process.h"

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <algorithm>

namespace ctxshare {
namespace {

constexpr std::size_t kTraceHead = 200;   // the first calls of a case: its setup
constexpr std::size_t kTraceTail = 2000;  // the last calls: what it was doing when it ended
constexpr std::size_t kOutputTail = 16 * 1024;

volatile sig_atomic_t g_interrupt = 0;
void on_interrupt(int sig) { g_interrupt = sig; }

// While a run is on, an interrupting signal is noted instead of killing this process, so that the
// cases' processes (in groups of their own, out of reach of the terminal's Ctrl-C) are ended and the
// results so far are written.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupt = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~InterruptGuard() {
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &old_[i], nullptr);
  }

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[3];
};
int g_interrupted_by = 0;

// One case's child, from start to classification.
class Running {
 public:
  Running(const CaseDef& def, double timeout_s, const std::string& visible_devices, const RunOptions& options,
          std::size_t index)
      : timeout_s_(timeout_s), read_watch_(options.read_watch) {
    result_.id = def.id;
    result_.visible_devices = visible_devices;
    start_ = seconds_now();
    std::string error;
    auto env = child_environment(def.spec);
    if (!visible_devices.empty()) env.emplace_back("CUDA_VISIBLE_DEVICES", visible_devices);
    if (!options.watch_root.empty()) add_watch_environment(def, options, env);
    if (options.environment_of)
      for (auto& [name, value] : options.environment_of(index)) {
        auto own = std::find_if(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; });
        if (own == env.end()) env.emplace_back(name, value);
        else if (name == "LD_LIBRARY_PATH") own->second = value + ":" + own->second;
        else own->second = value;
      }
    proc_ = spawn({"__case", def.id, "--event-fd", "3"}, true, &error, env);
    if (proc_.pid < 0) {
      result_.outcome = Outcome::error;
      result_.reason = error;
      done_ = true;
    }
  }

  bool done() const { return done_; }
  CaseResult take() { return std::move(result_); }

  // The interposer's variables, and a folder of this attempt's own for its reports. A case that sets
  // LD_LIBRARY_PATH itself keeps its value, behind the interposer's folder.
  void add_watch_environment(const CaseDef& def, const RunOptions& options, std::vector<std::pair<std::string, std::string>>& env) {
    static int attempts = 0;
    watch_dir_ = options.watch_root + "/" + def.id + "." + std::to_string(++attempts);
    if (::mkdir(watch_dir_.c_str(), 0755) != 0) watch_dir_.clear();  // read_watch then says nothing was watched
    for (const auto& [name, value] : options.watch_env) {
      auto own = std::find_if(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; });
      if (own == env.end()) env.emplace_back(name, value);
      else if (name == "LD_LIBRARY_PATH") own->second = value.substr(0, value.find(':')) + ":" + own->second;
      else own->second = value;
    }
    env.emplace_back("CTXSHARE_WATCH_OUT", watch_dir_);
  }

  // The run was interrupted: the case's processes end now, and what it did so far is kept.
  void interrupt(int sig) {
    if (done_) return;
    kill(-proc_.pid, SIGKILL);
    int status = 0;
    waitpid(proc_.pid, &status, 0);
    drain();
    const std::size_t findings = result_.findings.size();  // the case's own; not the kill's crash
    finish(status);
    result_.findings.erase(result_.findings.begin() + static_cast<std::ptrdiff_t>(findings), result_.findings.end());
    result_.outcome = Outcome::interrupted;
    result_.signal = 0;
    result_.reason = "the run was interrupted by " + signal_name(sig) + " " + last_call_words();
  }

  void add_fds(std::vector<pollfd>& fds) const {
    if (proc_.out_fd >= 0) fds.push_back({proc_.out_fd, POLLIN, 0});
    if (proc_.event_fd >= 0) fds.push_back({proc_.event_fd, POLLIN, 0});
  }

  // Reads what is there, reaps the child when it has ended, kills it at its deadline.
  void step() {
    if (done_) return;
    drain();
    int status = 0;
    const pid_t r = waitpid(proc_.pid, &status, WNOHANG);
    if (r == proc_.pid) {
      drain();  // what it wrote just before it ended
      kill(-proc_.pid, SIGKILL);  // anything it left behind in its group
      finish(status);
      return;
    }
    if (!killed_ && seconds_now() - start_ > timeout_s_) {
      killed_ = true;
      kill(-proc_.pid, SIGKILL);
    }
  }

 private:
  void drain() {
    char buf[65536];
    for (int* fd : {&proc_.event_fd, &proc_.out_fd}) {
      for (int rounds = 0; *fd >= 0 && rounds < 64; ++rounds) {
        const ssize_t n = ::read(*fd, buf, sizeof buf);
        if (n > 0) {
          if (fd == &proc_.event_fd) on_event_bytes(buf, static_cast<size_t>(n));
          else on_output(buf, static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        ::close(*fd);  // end of file, or an error: either way nothing more comes
        *fd = -1;
      }
    }
  }

  void on_output(const char* p, size_t n) {
    result_.output_bytes += static_cast<long long>(n);
    output_.append(p, n);
    if (output_.size() > 2 * kOutputTail) output_.erase(0, output_.size() - kOutputTail);
  }

  void on_event_bytes(const char* p, size_t n) {
    pending_.append(p, n);
    size_t start = 0, nl;
    while ((nl = pending_.find('\n', start)) != std::string::npos) {
      on_event(std::string_view(pending_).substr(start, nl - start));
      start = nl + 1;
    }
    pending_.erase(0, start);
  }

  void on_event(std::string_view line) {
    std::optional<EventRecord> record = parse_event(line);
    if (!record) {
      ++malformed_;
      return;
    }
    nlohmann::json& ev = record->fields;
    switch (record->kind) {
      case Event::call: add_trace(std::move(ev)); break;
      case Event::ret: on_return(ev); break;
      case Event::finding: result_.findings.push_back(std::move(ev)); break;
      case Event::observe: on_observe(ev); break;
      case Event::skip:
        skipped_ = true;
        result_.reason = ev.value("reason", "");
        break;
      case Event::driver: result_.driver = std::move(ev); break;
      case Event::end:
        ended_ = true;
        checks_ = ev.value("checks", 0);
        break;
      case Event::seed:
      case Event::checkpoint:
      case Event::start:
        ev["mark"] = to_string(record->kind);
        add_trace(std::move(ev));
        break;
    }
  }

  void on_return(const nlohmann::json& ev) {
    // The call it answers is nearly always among the last few.
    auto is_call = [&](const nlohmann::json& e) { return e.contains("fn") && e["seq"] == ev["seq"]; };
    auto merge = [&](nlohmann::json& e) {
      for (auto& [k, v] : ev.items())
        if (k != "seq") e[k] = v;
    };
    for (auto it = tail_.rbegin(); it != tail_.rend(); ++it)
      if (is_call(*it)) return merge(*it);
    for (auto& e : head_)
      if (is_call(e)) return merge(e);
  }

  void on_observe(const nlohmann::json& ev) {
    const std::string key = ev.value("key", "");
    auto& slot = result_.observations[key];
    if (slot.is_null()) {
      slot = ev["value"];
    } else if (slot.is_array() && slot.size() > 0 && observed_many_.count(key)) {
      slot.push_back(ev["value"]);
    } else {
      slot = nlohmann::json::array({slot, ev["value"]});
      observed_many_.insert(key);
    }
  }

  void add_trace(nlohmann::json entry) {
    if (head_.size() < kTraceHead) {
      head_.push_back(std::move(entry));
      return;
    }
    tail_.push_back(std::move(entry));
    if (tail_.size() > kTraceTail) {
      tail_.pop_front();
      ++result_.trace_dropped;
    }
  }

  // The call a crash or hang happened in: the last one without a result.
  std::string last_call_words() const {
    const nlohmann::json* last = nullptr;
    const nlohmann::json* unfinished = nullptr;
    for (const auto& e : result_.trace) {
      if (!e.contains("fn")) continue;
      last = &e;
      if (!e.contains("res")) unfinished = &e;
    }
    if (unfinished != nullptr)
      return "during " + (*unfinished)["fn"].get<std::string>() + " (call " + std::to_string((*unfinished)["seq"].get<long long>()) +
             ", thread " + std::to_string((*unfinished)["tid"].get<int>()) + ")";
    if (last != nullptr) return "after " + (*last)["fn"].get<std::string>() + " returned";
    return "before any CUDA call";
  }

  void finish(int status) {
    done_ = true;
    result_.duration_s = seconds_now() - start_;
    for (auto& e : head_) result_.trace.push_back(std::move(e));
    for (auto& e : tail_) result_.trace.push_back(std::move(e));
    result_.output_tail = output_.size() > kOutputTail ? output_.substr(output_.size() - kOutputTail) : output_;

    auto finding = [&](FindingKind kind, const std::string& message) {
      result_.findings.push_back({{"kind", to_string(kind)}, {"message", message}});
    };
    if (killed_) {
      result_.outcome = Outcome::timeout;
      result_.reason = "killed after " + std::to_string(static_cast<int>(timeout_s_)) + " s " + last_call_words();
      finding(FindingKind::timeout, result_.reason);
    } else if (WIFSIGNALED(status)) {
      result_.signal = WTERMSIG(status);
      result_.outcome = Outcome::crash;
      result_.reason = signal_name(result_.signal) + " " + last_call_words();
      finding(FindingKind::crash, result_.reason);
    } else {
      result_.exit_code = WEXITSTATUS(status);
      if (skipped_ && result_.exit_code == 0) {
        result_.outcome = Outcome::skipped;
      } else if (!ended_) {
        result_.outcome = Outcome::failed;
        result_.reason = "the process exited with code " + std::to_string(result_.exit_code) +
                         " before the case finished, " + last_call_words();
        finding(FindingKind::early_exit, result_.reason);
      } else if (result_.exit_code != 0) {
        result_.outcome = Outcome::error;
        result_.reason = "the case finished but its process exited with code " + std::to_string(result_.exit_code);
      } else {
        result_.outcome = result_.findings.empty() ? Outcome::passed : Outcome::failed;
        if (!result_.findings.empty()) result_.reason = result_.findings[0].value("message", "");
        if (result_.outcome == Outcome::passed && checks_ == 0) {
          result_.outcome = Outcome::error;
          result_.reason = "the case made no check: a pass would prove nothing";
        }
      }
    }
    if (read_watch_) result_.watch = read_watch_(watch_dir_);
    if (malformed_ > 0 && result_.outcome == Outcome::passed) {
      result_.outcome = Outcome::error;
      result_.reason = std::to_string(malformed_) + " malformed lines in the event stream";
    }
    if (proc_.out_fd >= 0) ::close(proc_.out_fd);
    if (proc_.event_fd >= 0) ::close(proc_.event_fd);
    proc_.out_fd = proc_.event_fd = -1;
  }

  double timeout_s_;
  std::function<nlohmann::json(const std::string&)> read_watch_;
  std::string watch_dir_;
  Process proc_;
  CaseResult result_;
  double start_ = 0;
  bool done_ = false, killed_ = false, skipped_ = false, ended_ = false;
  int malformed_ = 0, checks_ = 0;
  std::string pending_, output_;
  std::vector<nlohmann::json> head_;
  std::deque<nlohmann::json> tail_;
  std::set<std::string> observed_many_;
};

// Without a baseline: the first attempt's outcome if every rerun ended the same way, else flaky.
void judge_by_attempts(CaseResult& r, const std::vector<CaseResult>& reruns) {
  std::string seen = to_string(r.outcome);
  bool alike = true;
  for (const auto& again : reruns) {
    r.rerun_outcomes.push_back(to_string(again.outcome));
    seen += std::string(", ") + to_string(again.outcome);
    alike = alike && again.outcome == r.outcome;
  }
  if (alike) return;
  r.outcome = Outcome::flaky;
  r.reason = "new flake: its attempts ended " + seen;
}

// Which GPUs each running case holds, so that cases needing one device spread over them.
class GpuPool {
 public:
  explicit GpuPool(std::vector<std::string> gpus) : gpus_(std::move(gpus)), load_(gpus_.size(), 0) {}

  // What the case is shown, as CUDA_VISIBLE_DEVICES (empty: leave it as it is), and the GPUs it holds.
  std::string take(const CaseDef& def, std::vector<std::size_t>* held) {
    const int wanted = def.spec.needs.devices;
    const auto& env = child_environment(def.spec);
    const bool chosen_already = std::any_of(env.begin(), env.end(), [](const auto& kv) { return kv.first == "CUDA_VISIBLE_DEVICES"; });
    if (gpus_.empty() || wanted == 0 || chosen_already) return {};
    if (wanted == 1) {
      const std::size_t least = static_cast<std::size_t>(std::min_element(load_.begin(), load_.end()) - load_.begin());
      held->push_back(least);
    } else {
      for (std::size_t i = 0; i < gpus_.size() && static_cast<int>(i) < wanted; ++i) held->push_back(i);
    }
    std::string visible;
    for (const std::size_t i : *held) {
      ++load_[i];
      visible += (visible.empty() ? "" : ",") + gpus_[i];
    }
    return visible;
  }
  void give_back(const std::vector<std::size_t>& held) {
    for (const std::size_t i : held) --load_[i];
  }

 private:
  std::vector<std::string> gpus_;
  std::vector<int> load_;
};

// Runs the selection, -j at a time; on_done(index, result) as each ends, in the order they end.
std::vector<CaseResult> run_batch(const std::vector<const CaseDef*>& selection, const RunOptions& options,
                                  const std::function<void(std::size_t, CaseResult&)>& on_done) {
  std::vector<CaseResult> results(selection.size());
  struct Slot {
    size_t index;
    std::unique_ptr<Running> run;
    std::vector<std::size_t> gpus;
  };
  std::vector<Slot> running;
  GpuPool pool(options.gpus);
  size_t next = 0, finished = 0;
  // Exclusive cases go last, together: each one empties the machine first, and one empty machine
  // for all of them costs less than one for each among the others. Results keep the selection's order.
  std::vector<size_t> order(selection.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&](size_t i) { return !selection[i]->spec.exclusive; });
  const int jobs = std::max(1, options.jobs);
  auto timeout_of = [&](const CaseDef& d) { return options.timeout_s > 0 ? options.timeout_s : d.spec.timeout_s; };

  while (finished < selection.size()) {
    if (g_interrupt != 0) {
      for (auto& slot : running) {
        slot.run->interrupt(g_interrupt);
        results[slot.index] = slot.run->take();
        if (on_done) on_done(slot.index, results[slot.index]);
      }
      return results;  // the cases never started have no id: run_cases leaves them out
    }
    // An exclusive case starts only on an idle machine, and nothing starts beside it.
    while (next < selection.size() && static_cast<int>(running.size()) < jobs) {
      const CaseDef& def = *selection[order[next]];
      const bool exclusive_running =
          std::any_of(running.begin(), running.end(), [&](auto& slot) { return selection[slot.index]->spec.exclusive; });
      if (exclusive_running || (def.spec.exclusive && !running.empty())) break;
      Slot slot{order[next], nullptr, {}};
      const std::string visible = pool.take(def, &slot.gpus);
      slot.run = std::make_unique<Running>(def, timeout_of(def), visible, options, order[next]);
      running.push_back(std::move(slot));
      ++next;
    }
    std::vector<pollfd> fds;
    for (auto& slot : running) slot.run->add_fds(fds);
    poll(fds.data(), fds.size(), 20);
    for (auto it = running.begin(); it != running.end();) {
      it->run->step();
      if (!it->run->done()) {
        ++it;
        continue;
      }
      results[it->index] = it->run->take();
      pool.give_back(it->gpus);
      ++finished;
      if (on_done) on_done(it->index, results[it->index]);
      it = running.erase(it);
    }
  }
  return results;
}

}  // namespace

int interrupted_by() { return g_interrupted_by; }

std::vector<CaseResult> run_cases(const std::vector<const CaseDef*>& selection, const RunOptions& options) {
  const InterruptGuard guard;
  g_interrupted_by = 0;
  const auto expected = options.expected ? options.expected
                                         : [](const CaseResult& r) { return r.outcome == Outcome::passed || r.outcome == Outcome::skipped; };
  std::size_t judged = 0;
  auto judge = [&](CaseResult& r, const std::vector<CaseResult>& reruns) {
    if (options.judge) options.judge(r, reruns);
    else judge_by_attempts(r, reruns);
    if (options.on_result) options.on_result(r, ++judged, selection.size());
  };
  // What the baseline allows is judged as it ends; anything else is run again once the batch is
  // done: a change shows in every attempt, a flake in some, and a later pass hides neither.
  std::vector<std::size_t> unexpected;
  std::vector<CaseResult> results = run_batch(selection, options, [&](std::size_t i, CaseResult& r) {
    if (r.outcome == Outcome::interrupted) {
      if (options.on_result) options.on_result(r, ++judged, selection.size());
    } else if (expected(r) || options.reruns == 0 || g_interrupt != 0) judge(r, {});
    else unexpected.push_back(i);
  });
  for (const std::size_t i : unexpected) {
    RunOptions alone = options;  // a rerun is a selection of one: its environment is still selection[i]'s
    if (options.environment_of) alone.environment_of = [&options, i](std::size_t) { return options.environment_of(i); };
    std::vector<CaseResult> reruns;
    for (int attempt = 0; attempt < options.reruns && g_interrupt == 0; ++attempt) {
      CaseResult again = std::move(run_batch({selection[i]}, alone, {})[0]);
      if (again.outcome != Outcome::interrupted && !again.id.empty()) reruns.push_back(std::move(again));
    }
    judge(results[i], reruns);  // an interrupted rerun is not an attempt: the ones that ended are judged
  }
  g_interrupted_by = g_interrupt;
  // After an interruption the cases never started have no result.
  results.erase(std::remove_if(results.begin(), results.end(), [](const CaseResult& r) { return r.id.empty(); }), results.end());
  return results;
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
