#include "harness/cuda/trace.h"

#include <atomic>
#include <chrono>

#include "harness/spec/events.h"

namespace ctxshare::trace {
namespace {

std::atomic<std::uint64_t> g_seq{0};
std::atomic<int> g_next_thread{0};
const auto g_epoch = std::chrono::steady_clock::now();
thread_local bool t_in_harness = false;
thread_local int t_thread_index = -1;
thread_local LastCall t_last;
std::atomic<bool> g_runtime_used{false};

}  // namespace

const char* to_string(Api api) {
  switch (api) {
    case Api::driver: return "driver";
    case Api::runtime: return "runtime";
    case Api::library: return "library";
  }
  return "?";
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_epoch).count();
}

int thread_index() {
  if (t_thread_index < 0) t_thread_index = g_next_thread++;
  return t_thread_index;
}

Harness::Harness() : previous_(t_in_harness) { t_in_harness = true; }
Harness::~Harness() { t_in_harness = previous_; }
bool Harness::active() { return t_in_harness; }

Call::Call(Api api, const char* name) : seq_(++g_seq), start_(now()) {
  t_last = {name, seq_};
  if (api == Api::runtime && !t_in_harness) g_runtime_used = true;
  emit(Event::call, {{"seq", seq_},
                     {"api", to_string(api)},
                     {"fn", name},
                     {"tid", thread_index()},
                     {"t", start_},
                     {"by", t_in_harness ? "harness" : "case"}});
}

void Call::finish(int code, const std::string& name, const char* note) {
  Value ev = {{"seq", seq_}, {"res", code}, {"err", name}, {"us", static_cast<long long>((now() - start_) * 1e6)}};
  if (note != nullptr) ev.set("note", note);
  emit(Event::ret, std::move(ev));
}

std::uint64_t relay_call(const std::string& api, const std::string& fn, int tid, const std::string& peer) {
  const std::uint64_t seq = ++g_seq;
  emit(Event::call, {{"seq", seq}, {"api", api}, {"fn", fn}, {"tid", tid}, {"t", now()}, {"by", "peer"}, {"peer", peer}});
  return seq;
}

void relay_return(std::uint64_t seq, long long code, const std::string& name, long long us) {
  emit(Event::ret, {{"seq", seq}, {"res", code}, {"err", name}, {"us", us}});
}

LastCall last_call() { return t_last; }
bool runtime_used() { return g_runtime_used; }

}  // namespace ctxshare::trace
