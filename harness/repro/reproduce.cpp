#include "harness/repro/reproduce.h"

#include <cstdio>
#include <cstdlib>

#include "harness/case/case.h"

namespace ctxshare {
namespace {

void print_result(int code) {
  const char* verdict = code == 0 ? "passed" : code == 1 ? "failed" : code == 2 ? "error: the case made no check" : "skipped";
  std::printf("RESULT %s\n", verdict);
}

// The end of a case that left work for exit: the process exits with the case's code, as when
// reproduce returns it. A pass lets exit go on (a crash in what runs after is then the outcome).
void print_result_at_exit(int code) {
  print_result(code);
  if (code != 0) std::_Exit(code);
}

}  // namespace

int reproduce(const char* case_id) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);  // a crash must not swallow what was printed before it
  set_event_sink(print_event);
  const CaseDef* def = find_case(case_id);
  if (def == nullptr) {
    std::fprintf(stderr, "no case %s in this reproducer\n", case_id);
    return 3;
  }
  std::printf("ctxshare case %s\n  claims:", def->id.c_str());
  for (const auto& c : def->spec.claims) std::printf(" %s", c.c_str());
  std::printf("\n  documented: %s%s%s\n", to_string(def->spec.verdict), def->spec.expected_error.empty() ? "" : " with ",
              def->spec.expected_error.c_str());
  // What the suite's runner gives the case's process (CUDA reads it at cuInit), given here.
  for (const auto& [name, value] : def->spec.environment) {
    setenv(name.c_str(), value.c_str(), 1);
    std::printf("  environment: %s=%s\n", name.c_str(), value.c_str());
  }
  const int code = run_case(*def);
  if (code == kEndsAtExit) {
    on_end_at_exit(print_result_at_exit);  // the case's end comes after the work it left for exit
    return 0;
  }
  print_result(code);
  return code;
}

}  // namespace ctxshare
