// A reproducer's event sink: each event of the case printed as one line on stdout, as it happens.
// The suite's child writes the same events as JSON for its runner (harness/child/json_sink.cpp).
#include <cstdio>
#include <mutex>
#include <string>

#include "harness/repro/reproduce.h"

namespace ctxshare {
namespace {

std::string field(const Value& fields, const char* key) {
  if (const auto* o = fields.as_object())
    for (const auto& [k, v] : *o)
      if (k == key) return v.text();
  return {};
}

}  // namespace

void print_event(Event event, const Value& fields) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const auto f = [&](const char* key) { return field(fields, key); };
  switch (event) {
    case Event::call:
      // Calls the harness makes to check and release are shown apart from the case's own.
      std::printf("  [%s] thread %s %s%s ...", f("seq").c_str(), f("tid").c_str(), f("fn").c_str(),
                  f("by") == "harness" ? " (harness)" : f("by") == "peer" ? (" (peer " + f("peer") + ")").c_str() : "");
      std::fflush(stdout);
      return;
    case Event::ret: std::printf(" %s\n", f("err").c_str()); return;
    case Event::finding:
      std::printf("\nFINDING %s: %s %s\n", f("kind").c_str(), f("message").c_str(), f("evidence").c_str());
      return;
    case Event::observe: std::printf("\nOBSERVED %s = %s\n", f("key").c_str(), f("value").c_str()); return;
    case Event::skip: std::printf("\nSKIPPED: %s\n", f("reason").c_str()); return;
    case Event::driver:
      if (f("initialized") == "true")
        std::printf("driver %s, CUDA %s, %s devices\n", f("path").c_str(), f("version").c_str(), f("devices").c_str());
      return;
    case Event::seed: std::printf("random data seed %s (CTXSHARE_SEED=%s replays it)\n", f("seed").c_str(), f("seed").c_str()); return;
    case Event::checkpoint: std::printf("\ncheckpoint: %s\n", f("label").c_str()); return;
    case Event::end: std::printf("\n%s findings, %s checks\n", f("findings").c_str(), f("checks").c_str()); return;
    case Event::start: return;
  }
}

}  // namespace ctxshare
