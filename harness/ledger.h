// The context ledger: what the driver and the runtime each believe about the calling thread and the
// devices' primary contexts, at one moment. Two snapshots that differ across a step are the evidence
// that the step changed what is current.
#pragma once

#include <cuda.h>

#include <nlohmann/json.hpp>

#include <vector>

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
};

}  // namespace ctxshare
