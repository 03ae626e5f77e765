// The program the tests of mutate/'s libcuda.so.1 run against the fake driver (tests/watch/): each
// scenario prints what the driver answered, through the exported symbols (a program linked with
// -lcuda) and through a cuGetProcAddress resolved through cuGetProcAddress (the runtime's way).
#include <cuda.h>
#include <cudaTypedefs.h>

#include <dlfcn.h>

#include <cstdio>
#include <string>
#include <thread>

namespace {

template <class Fn>
Fn runtime_entry(const char* name) {
  void* resolver = nullptr;
  CUdriverProcAddressQueryResult status{};
  cuGetProcAddress("cuGetProcAddress", &resolver, 12000, CU_GET_PROC_ADDRESS_DEFAULT, &status);
  void* p = nullptr;
  if (resolver == nullptr ||
      reinterpret_cast<PFN_cuGetProcAddress_v12000>(resolver)(name, &p, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &status) != CUDA_SUCCESS)
    return nullptr;
  return reinterpret_cast<Fn>(p);
}

void print_version(const char* how, CUresult (*get)(int*)) {
  int version = -1;
  const CUresult r = get(&version);
  std::printf("%s: %d %d\n", how, static_cast<int>(r), version);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  if (scenario == "version") {  // three calls: two exported, one resolved
    print_version("exported", &cuDriverGetVersion);
    print_version("exported", &cuDriverGetVersion);
    print_version("resolved", runtime_entry<CUresult (*)(int*)>("cuDriverGetVersion"));
  } else if (scenario == "threads") {  // thread 0 of cuDriverGetVersion is main, thread 1 the other
    print_version("main", &cuDriverGetVersion);
    std::thread([] { print_version("other", &cuDriverGetVersion); }).join();
    print_version("main", &cuDriverGetVersion);
  } else if (scenario == "context") {
    CUcontext created = nullptr;
    const CUresult made = cuCtxCreate_v4(&created, nullptr, 0, 0);
    CUcontext current = nullptr;
    cuCtxGetCurrent(&current);
    std::printf("create: %d made %s, current is it: %s\n", static_cast<int>(made), created ? "a context" : "none",
                current != nullptr && current == created ? "yes" : "no");
    CUdevice device = -1;
    const CUresult got = cuDeviceGet(&device, 0);
    std::printf("device: %d %d\n", static_cast<int>(got), device);
  } else if (scenario == "marked") {  // the second call marked as the case's own, as the harness marks them
    auto mark = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "ctxshare_mutate_case_call"));
    if (mark == nullptr) return std::fprintf(stderr, "probe: no ctxshare_mutate_case_call\n"), 3;
    print_version("harness", &cuDriverGetVersion);
    mark(1);
    print_version("case", &cuDriverGetVersion);
    mark(0);
    print_version("harness", &cuDriverGetVersion);
  } else if (scenario == "lookup") {  // two lookups of one entry point through the exported cuGetProcAddress_v2
    for (int i = 0; i < 2; ++i) {
      void* p = nullptr;
      CUdriverProcAddressQueryResult status{};
      const CUresult r = cuGetProcAddress("cuDriverGetVersion", &p, 12000, CU_GET_PROC_ADDRESS_DEFAULT, &status);
      std::printf("lookup: %d %s\n", static_cast<int>(r), p != nullptr ? "found" : "null");
    }
  } else if (scenario == "nothing_current") {  // before any context: the right answer is null
    CUcontext current = reinterpret_cast<CUcontext>(1);
    const CUresult r = cuCtxGetCurrent(&current);
    std::printf("current: %d %s\n", static_cast<int>(r), current == nullptr ? "null" : "a context");
  } else if (scenario == "name") {  // forwarded, never faulted by the tests
    char name[64] = {};
    const CUresult got = cuDeviceGetName(name, sizeof name, 0);
    std::printf("name: %d %s\n", static_cast<int>(got), name);
  } else {
    std::fprintf(stderr, "probe: unknown scenario\n");
    return 2;
  }
  return 0;
}
