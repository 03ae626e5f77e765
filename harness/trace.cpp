#include "harness/trace.h"

#include <cuda_runtime_api.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>

#include "harness/driver_api.h"

namespace ctxshare::trace {
namespace {

int g_fd = -1;
std::mutex g_write_mutex;
std::atomic<std::uint64_t> g_seq{0};
std::atomic<int> g_next_thread{0};
const auto g_epoch = std::chrono::steady_clock::now();
thread_local bool t_in_harness = false;
thread_local int t_thread_index = -1;
thread_local LastCall t_last;
std::atomic<bool> g_runtime_used{false};

void write_all(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(g_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the runner is gone; nothing left to tell
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

const char* to_string(Api api) {
  switch (api) {
    case Api::driver: return "driver";
    case Api::runtime: return "runtime";
    case Api::library: return "library";
  }
  return "?";
}

void open(int fd) { g_fd = fd; }

void emit(nlohmann::json event) {
  if (g_fd < 0) return;
  std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(g_write_mutex);
  write_all(line);
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

Call::Call(Api api, const char* name) : seq_(++g_seq), start_(now()) {
  t_last = {name, seq_};
  if (api == Api::runtime && !t_in_harness) g_runtime_used = true;
  if (g_fd < 0) return;
  emit({{"ev", "call"},
        {"seq", seq_},
        {"api", to_string(api)},
        {"fn", name},
        {"tid", thread_index()},
        {"t", start_},
        {"by", t_in_harness ? "harness" : "case"}});
}

void Call::finish(int code, const std::string& name, const char* note) {
  if (g_fd < 0) return;
  nlohmann::json ev = {{"ev", "ret"}, {"seq", seq_}, {"res", code}, {"err", name},
                       {"us", static_cast<long long>((now() - start_) * 1e6)}};
  if (note != nullptr) ev["note"] = note;
  emit(std::move(ev));
}

CUresult Call::finish_driver(CUresult result, const char* note) {
  finish(static_cast<int>(result), driver_error_name(result), note);
  return result;
}

cudaError_t Call::finish_runtime(cudaError_t result) {
  finish(static_cast<int>(result), ::cudaGetErrorName(result), nullptr);
  return result;
}

int Call::finish_library(int status, const char* status_name) {
  finish(status, status_name, nullptr);
  return status;
}

LastCall last_call() { return t_last; }
bool runtime_used() { return g_runtime_used; }

}  // namespace ctxshare::trace
