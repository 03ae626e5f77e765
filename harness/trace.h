// The child's event stream: every API call, finding and observation of a case, written as one JSON
// line per event to a file descriptor the runner reads. Each line is written with one write() as it
// happens, so when the case crashes or hangs the runner still has everything up to the last call.
#pragma once

#include <cuda.h>
#include <driver_types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ctxshare::trace {

enum class Api { driver, runtime, library };
const char* to_string(Api api);

// Starts the stream on fd; before this (and in the scheduling process) events are dropped.
void open(int fd);
void emit(nlohmann::json event);

// Seconds since the stream was opened.
double now();
// A small number per thread, in order of first use: 0 is the case's main thread.
int thread_index();

// Calls made while a Harness scope is alive are marked as made by the harness, not by the case.
class Harness {
 public:
  Harness();
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

 private:
  bool previous_;
};

// One API call: emits "call" when made and "ret" when it returns.
class Call {
 public:
  Call(Api api, const char* name);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  CUresult finish_driver(CUresult result, const char* note = nullptr);
  cudaError_t finish_runtime(cudaError_t result);
  int finish_library(int status, const char* status_name);

 private:
  void finish(int code, const std::string& name, const char* note);
  std::uint64_t seq_;
  double start_;
};

// The last call made on this thread: what CU()/CUDA() name in a finding.
struct LastCall {
  const char* name = nullptr;
  std::uint64_t seq = 0;
};
LastCall last_call();
// Whether the case itself (not the harness) has called the runtime.
bool runtime_used();

}  // namespace ctxshare::trace
