// The context ledger: what the driver and the runtime each believe about the calling thread and the
// devices' primary contexts, at one moment. Two snapshots that differ across a step are the evidence
// that the step changed what is current.
#pragma once

#include <cuda.h>

#include <string>
#include <utility>
#include <vector>

#include "harness/spec/value.h"

namespace ctxshare {

struct PrimaryState {
  unsigned int flags = 0;
  int active = 0;
  bool operator==(const PrimaryState&) const = default;
};

struct Ledger {
  int thread = 0;
  CUcontext current = nullptr;  // cuCtxGetCurrent
  CUdevice current_device = -1;  // cuCtxGetDevice of it, -1 when none is current
  int runtime_device = -1;       // cudaGetDevice, -1 when it failed
  std::vector<PrimaryState> primaries;  // cuDevicePrimaryCtxGetState per device
  bool operator==(const Ledger&) const = default;
  // What the calling thread sees, without the primaries' state, which another thread may change.
  bool same_thread_view(const Ledger& other) const {
    return current == other.current && current_device == other.current_device && runtime_device == other.runtime_device;
  }
};

// A snapshot of this thread's ledger, taken through untraced-as-case (harness) calls.
Ledger snapshot_ledger();
// As evidence, with the contexts a case named shown by name.
Value ledger_evidence(const Ledger& l, const std::vector<std::pair<CUcontext, std::string>>& names);

}  // namespace ctxshare
