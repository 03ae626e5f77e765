// Every API call a case makes, as it happens: a `call` event when it is made and a `ret` event when it
// returns, through the event seam (harness/spec/events.h). The child's sink writes each with one
// write(), so when the case crashes or hangs the runner still has everything up to the last call.
#pragma once

#include <cstdint>
#include <string>

namespace ctxshare::trace {

enum class Api { driver, runtime, library };
const char* to_string(Api api);

// Seconds since the process started tracing.
double now();
// A small number per thread, in order of first use: 0 is the case's main thread.
int thread_index();

// Calls made while a Harness scope is alive are marked as made by the harness, not by the case.
class Harness {
 public:
  // Whether this thread is inside such a scope now.
  static bool active();

  Harness();
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

 private:
  bool previous_;
};

// One API call: emits `call` when made and `ret` with the result's code and name when it returns.
class Call {
 public:
  Call(Api api, const char* name);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  void finish(int code, const std::string& name, const char* note = nullptr);

 private:
  std::uint64_t seq_;
  double start_;
};

// A call another process of the case made (a peer, case/peer.h), entered in this trace under a
// number of this trace, marked as that peer's; then its return.
std::uint64_t relay_call(const std::string& api, const std::string& fn, int tid, const std::string& peer);
void relay_return(std::uint64_t seq, long long code, const std::string& name, long long us);

// The last call made on this thread: what CU()/CUDA() name in a finding.
struct LastCall {
  const char* name = nullptr;
  std::uint64_t seq = 0;
};
LastCall last_call();
// Whether the case itself (not the harness) has called the runtime.
bool runtime_used();

}  // namespace ctxshare::trace
