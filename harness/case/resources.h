// Resources a case hands to the harness: each is validated through both APIs at checkpoints and at the
// end of the case, then released through its owner's API, newest first, in its own context.
#pragma once

#include <cuda.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ctxshare {

enum class Owner { driver, runtime };

struct Resource {
  enum Kind { context, primary, stream, event, device_memory, host_memory, module, library, deferred } kind;
  Owner owner = Owner::driver;
  const void* handle = nullptr;
  CUcontext ctx = nullptr;  // the context current when it was handed over
  CUdevice device = 0;
  std::size_t bytes = 0;
  bool reported_elsewhere = false;  // CU_POINTER_ATTRIBUTE_CONTEXT is `reported`, not ctx
  CUcontext reported = nullptr;
  std::string what = {};
  std::function<CUresult()> release = {};
};

// Checks the resource through both APIs; a problem is recorded as a finding. `when` names the moment.
bool validate(const Resource& r, std::string_view when);
// Releases it through its owner's API; a failure is a cleanup_failed finding.
void release(Resource& r);

}  // namespace ctxshare
