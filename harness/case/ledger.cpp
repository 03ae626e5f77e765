#include "harness/case/ledger.h"

#include "harness/case/checks.h"
#include "harness/cuda/driver_api.h"
#include "harness/cuda/runtime_api.h"

namespace ctxshare {

Ledger snapshot_ledger() {
  trace::Harness by_harness;
  Ledger l;
  l.thread = trace::thread_index();
  cuCtxGetCurrent(&l.current);
  if (l.current != nullptr && cuCtxGetDevice(&l.current_device) != CUDA_SUCCESS) l.current_device = -2;
  if (cudaGetDevice(&l.runtime_device) != cudaSuccess) l.runtime_device = -1;
  for (int i = 0; i < load_driver().device_count; ++i) {
    PrimaryState s;
    CUdevice dev = 0;
    if (cuDeviceGet(&dev, i) == CUDA_SUCCESS) cuDevicePrimaryCtxGetState(dev, &s.flags, &s.active);
    l.primaries.push_back(s);
  }
  return l;
}

Value ledger_evidence(const Ledger& l, const std::vector<std::pair<CUcontext, std::string>>& names) {
  std::string current = hex(l.current);
  for (const auto& [ctx, name] : names)
    if (ctx == l.current && ctx != nullptr) current += " (" + name + ")";
  Value primaries = Value::array();
  for (const auto& p : l.primaries) primaries.push_back({{"flags", p.flags}, {"active", p.active}});
  return {{"thread", l.thread},
          {"cuCtxGetCurrent", current},
          {"cuCtxGetDevice", l.current_device},
          {"cudaGetDevice", l.runtime_device},
          {"primary_contexts", primaries}};
}

}  // namespace ctxshare
