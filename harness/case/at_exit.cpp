// Work a case leaves for the process's exit (Case::at_exit), for cases about what CUDA answers after
// main returns. Each step is registered with std::atexit when the case asks, so exit runs it where
// the C and C++ runtimes order it among the handlers registered before and after (CUDA's runtime
// registers its own teardown so: last registered, first run). A step's calls, observations and
// findings go through the same seam as the body's, and the case's `end` event waits for them: a
// closing handler, registered just before the first step and so run after the last, says it. A
// crash or hang at exit is then the case's outcome, with the call it happened in.
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "harness/case/case.h"

namespace ctxshare {
namespace {

struct ExitStep {
  std::string what;
  std::function<void()> work;
};

// Never destroyed: exit reads them after every destructor registered later has run.
std::vector<ExitStep>& pending() {
  static auto* steps = new std::vector<ExitStep>;
  return *steps;
}
bool g_closing_registered = false;
bool g_cancelled = false;
void (*g_on_end)(int code) = nullptr;

// One per registration, so exit runs the steps newest first, as it runs every handler.
void run_newest_step() {
  if (g_cancelled || pending().empty()) return;
  ExitStep step = std::move(pending().back());
  pending().pop_back();
  emit(Event::checkpoint, {{"label", "at exit: " + step.what}});
  try {
    step.work();
  } catch (const Stop&) {
    // the failed call recorded its finding; the step depended on it
  } catch (const Skip& s) {
    record_finding(FindingKind::exception, "a step at exit cannot skip the case: " + s.reason, nullptr, nullptr, 0);
  } catch (const std::exception& e) {
    record_finding(FindingKind::exception, "a step at exit (" + step.what + ") threw: " + e.what(), nullptr, nullptr, 0);
  } catch (...) {
    record_finding(FindingKind::exception, "a step at exit (" + step.what + ") threw", nullptr, nullptr, 0);
  }
}

void close_the_case() {
  if (g_cancelled) return;
  const int findings = findings_recorded(), checks = checks_made();
  emit(Event::end, {{"findings", findings}, {"checks", checks}});
  if (g_on_end != nullptr) g_on_end(findings > 0 ? 1 : checks == 0 ? 2 : 0);
}

}  // namespace

void Case::at_exit(std::string what, std::function<void()> work) {
  if (!g_closing_registered) {
    g_closing_registered = true;
    if (std::atexit(close_the_case) != 0) throw std::runtime_error("std::atexit refused the case's closing handler");
  }
  pending().push_back({std::move(what), std::move(work)});
  if (std::atexit(run_newest_step) != 0) throw std::runtime_error("std::atexit refused a step of the case");
}

bool exit_work_pending() { return g_closing_registered && !g_cancelled; }
void cancel_exit_work() { g_cancelled = true; }
void on_end_at_exit(void (*report)(int code)) { g_on_end = report; }

}  // namespace ctxshare
