// Uses every part of the scheduling layer (catalogue, runner, expectations, event parsing) in a
// program linked without CUDA: that it links and runs is the check (tests/CMakeLists.txt).
#include <cstdio>

#include "harness/run/catalog.h"
#include "harness/run/event_stream.h"
#include "harness/run/expectations.h"
#include "harness/run/runner.h"
#include "harness/run/no_cuda.h"

int main() {
  using namespace ctxshare;
  std::string error;
  const auto selected = select_cases({}, {}, &error);  // no case is registered here
  const auto results = run_cases(selected, RunOptions{});
  Expectations expectations;
  const bool parsed = parse_event(R"({"ev":"end","findings":0,"checks":1})").has_value();
  std::printf("%zu cases, %zu results, expectations %s, event parsed: %s\n", selected.size(), results.size(),
              expectations.empty() ? "empty" : "loaded", parsed ? "yes" : "no");
  return parsed && results.empty() ? 0 : 1;
}
