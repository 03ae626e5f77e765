// module_loading: lazy loading while a kernel runs on another thread's stream, driver entry points
// looked up through both APIs (versioned and not), and kernel handles (CUfunction, CUkernel) passed
// from one API to the other. Real-world cases (issue 17): each replays a report cited in its source:
// NVBench and torchcomms deadlocks under CUDA_MODULE_LOADING=LAZY, CUTLASS, nvFuser, IREE and Realm
// entry-point lookups, cuda-python and Accel-Sim handle mix-ups.
// Sources: CUDA C++ Programming Guide, Lazy Loading; cuda.h: cuGetProcAddress, cuLaunchKernel,
// cuKernelGetFunction, cuLibraryLoadData; cuda_runtime_api.h: cudaGetDriverEntryPoint,
// cudaGetDriverEntryPointByVersion, cudaGetKernel, cudaGetFuncBySymbol, cudaLaunchKernel.
// The modules_rtc family already checks the plain cross-API launches and the per-thread and legacy
// entry points: not repeated here.
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
// A kernel of this file's own module, which nothing else launches: under lazy loading its first use
// in a case is what loads it.
__global__ void write_value(std::uint32_t* out, std::uint32_t value, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = value;
}

constexpr const char* kLazy =
    "CUDA C++ Programming Guide, Lazy Loading (Possible Issues: Concurrent Execution, \"loading kernels might require "
    "context synchronization\"); CUDA_MODULE_LOADING";

// How long the second thread's call may take while the held kernel runs: a call that waits for the
// context to go idle is still waiting then; one that does not is long done.
constexpr auto kBeside = std::chrono::seconds(2);

// Runs `action` (given a non-blocking stream of its own) on a second thread while wait_for_gate
// spins on another stream of device 0's primary context, and records whether it finished while the
// kernel still ran. Then opens the gate, so a call that waited for the kernel finishes too: a
// deadlock is a finding with this watchdog, never a hang (the kernel also gives up after 10 s).
bool finished_beside_a_held_kernel(Case& h, const std::function<void(cudaStream_t)>& action) {
  std::uint32_t* gate = pinned_words(h, 2);
  cudaStream_t held = nullptr, other = nullptr;
  CUDA(cudaStreamCreateWithFlags(&held, cudaStreamNonBlocking));
  h.own_stream(held, Owner::runtime);
  CUDA(cudaStreamCreateWithFlags(&other, cudaStreamNonBlocking));
  h.own_stream(other, Owner::runtime);
  CUdeviceptr gate_on_device = 0;
  CU(cuMemHostGetDevicePointer(&gate_on_device, gate, 0));
  wait_for_gate<<<1, 1, 0, held>>>(reinterpret_cast<std::uint32_t*>(gate_on_device), 10'000'000'000ull);
  CUDA(cudaGetLastError());
  std::atomic<bool> done{false};
  std::thread second([&] {
    h.on_thread([&] {
      action(other);
      CUDA(cudaStreamSynchronize(other));
      done = true;
    });
  });
  const auto deadline = std::chrono::steady_clock::now() + kBeside;
  while (!done.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  const bool beside = done.load();
  static_cast<volatile std::uint32_t*>(gate)[0] = 1;
  second.join();
  CUDA(cudaStreamSynchronize(held));
  h.observe("the second thread's call finished while the kernel on another stream still ran", beside);
  h.observe("the held kernel saw its gate open (1) or gave up after 10 s (2)", static_cast<int>(gate[1]));
  h.expect(done.load(), FindingKind::unexpected_error, "the second thread's call never finished, even after the gate opened");
  return beside;
}

CTXSHARE_AXIS(SecondThread, first_launch_of_a_kernel, cudaFuncGetAttributes_of_a_kernel, cudaMemcpyAsync_on_its_stream,
              cudaMalloc);

// The body of the two cases below, which differ only in CUDA_MODULE_LOADING (read at cuInit).
void runtime_call_beside_a_running_kernel(Case& h, CUmoduleLoadingMode mode) {
  CUmoduleLoadingMode seen_mode{};
  CU(cuModuleGetLoadingMode(&seen_mode));
  h.expect_eq("cuModuleGetLoadingMode", static_cast<int>(seen_mode), static_cast<int>(mode));
  CUDA(cudaSetDevice(0));
  const std::size_t n = 1 << 16, bytes = n * 4;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, bytes));
  h.own_device_memory(out, bytes, Owner::runtime);
  const auto before = h.random_words(n), words = h.random_words(n);
  CUDA(cudaMemcpy(out, before.data(), bytes, cudaMemcpyHostToDevice));
  const std::uint32_t value = h.random_words(1)[0];
  auto expected = before;
  const SecondThread call = h.param<SecondThread>();
  finished_beside_a_held_kernel(h, [&](cudaStream_t other) {
    switch (call) {
      case SecondThread::first_launch_of_a_kernel:
        write_value<<<blocks_for(n), 256, 0, other>>>(out, value, n);
        CUDA(cudaGetLastError());
        expected.assign(n, value);
        break;
      case SecondThread::cudaFuncGetAttributes_of_a_kernel: {
        cudaFuncAttributes attributes{};
        CUDA(cudaFuncGetAttributes(&attributes, write_value));
        break;
      }
      case SecondThread::cudaMemcpyAsync_on_its_stream:
        CUDA(cudaMemcpyAsync(out, words.data(), bytes, cudaMemcpyHostToDevice, other));
        expected = words;
        break;
      case SecondThread::cudaMalloc: {
        void* p = nullptr;
        CUDA(cudaMalloc(&p, 4096));
        h.own_device_memory(p, 4096, Owner::runtime);
        break;
      }
    }
  });
  std::vector<std::uint32_t> seen(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(out), bytes));
  h.expect_same_words("device memory after the second thread's call, read through the driver", seen, expected);
}
}  // namespace

CTXSHARE_CASE(module_loading, lazy_loading_runtime_call_beside_a_running_kernel,
              {.claims = {"LAZY-LOADING", "RT-IMPLICIT"},
               .source = std::string("NVIDIA/nvbench#136; NVIDIA/nvbench#241; meta-pytorch/torchcomms#2334; "
                                     "uccl-project/uccl#220 - ") + kLazy,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Load every kernel a persistent or spinning kernel's partner will need before launching it "
                        "(cudaFuncGetAttributes or cuModuleGetFunction up front), or run with CUDA_MODULE_LOADING=EAGER.",
               .timeout_s = 30,
               .axes = {axis<SecondThread>()},
               .environment = {{"CUDA_MODULE_LOADING", "LAZY"}}}) {
  // NVBench's blocking kernel spun while the timed kernel, never loaded yet, was launched: lazy
  // loading waited for the context to go idle, which it never did. torchcomms saw a second thread's
  // cudaMemcpyAsync wait behind such a load.
  runtime_call_beside_a_running_kernel(h, CU_MODULE_LAZY_LOADING);
}

CTXSHARE_CASE(module_loading, eager_loading_runtime_call_beside_a_running_kernel,
              {.claims = {"LAZY-LOADING", "RT-IMPLICIT"},
               .source = std::string("NVIDIA/nvbench#136; uccl-project/uccl#220 - ") + kLazy,
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Eager loading is the reports' workaround; it still does not promise that two kernels run "
                        "concurrently, so a kernel must never spin on work queued after it.",
               .timeout_s = 30,
               .axes = {axis<SecondThread>()},
               .environment = {{"CUDA_MODULE_LOADING", "EAGER"}}}) {
  // The same calls with every kernel loaded at initialization: the reports' workaround, recorded
  // beside the lazy case so a change in either shows.
  runtime_call_beside_a_running_kernel(h, CU_MODULE_EAGER_LOADING);
}

namespace {
CTXSHARE_AXIS(Loader, cuModuleLoadData, cuLibraryLoadData);

constexpr const char* kLoadedSource = R"(
extern "C" __global__ void loaded_fill(unsigned int* out, unsigned int value, unsigned long long n) {
  unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = value;
}
)";
}  // namespace

CTXSHARE_CASE(module_loading, module_loaded_and_launched_by_another_thread_beside_a_running_kernel,
              {.claims = {"LAZY-LOADING", "SEED-RTC", "DRV-KERNEL-LAUNCH"},
               .source = std::string("triton-inference-server/core#156; meta-pytorch/torchcomms#2334; NVIDIA/nvbench#136 - ") +
                         kLazy + "; cuda.h: cuModuleLoadData, cuLibraryLoadData, cuLaunchKernel",
               .verdict = Verdict::hazard, .needs = {.min_driver = 12000, .libraries = {"nvrtc"}}, .labels = {"real-world"},
               .avoid = "Load modules and fetch their functions before starting a kernel that waits on other work, "
                        "or from a point where the device is idle.",
               .timeout_s = 30,
               .axes = {axis<Loader>()},
               .environment = {{"CUDA_MODULE_LOADING", "LAZY"}}}) {
  // A JIT (Triton, a model loader's thread pool) loads and launches new code on one thread while
  // another thread's kernel is still running.
  const std::string cubin = h.compile(kLoadedSource, "loaded_fill.cu", true);
  CUDA(cudaSetDevice(0));
  CUcontext primary = nullptr;
  CU(cuCtxGetCurrent(&primary));
  const std::size_t n = 1 << 16;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  std::uint32_t value = h.random_words(1)[0];
  const bool as_library = h.param<Loader>() == Loader::cuLibraryLoadData;
  finished_beside_a_held_kernel(h, [&](cudaStream_t other) {
    CU(cuCtxSetCurrent(primary));  // a driver load needs a current context; a library does not, its launch does
    CUfunction function = nullptr;
    if (as_library) {
      CUlibrary library = nullptr;
      CU(cuLibraryLoadData(&library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
      h.own_library(library);
      CUkernel kernel = nullptr;
      CU(cuLibraryGetKernel(&kernel, library, "loaded_fill"));
      function = reinterpret_cast<CUfunction>(kernel);  // cuLaunchKernel takes a CUkernel so
    } else {
      CUmodule module = nullptr;
      CU(cuModuleLoadData(&module, cubin.data()));
      h.own_module(module);
      CU(cuModuleGetFunction(&function, module, "loaded_fill"));
    }
    unsigned long long count = n;
    void* args[] = {&out, &value, &count};
    CU(cuLaunchKernel(function, blocks_for(n), 1, 1, 256, 1, 1, 0, other, args, nullptr));
  });
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("what the other thread's freshly loaded kernel wrote", seen, std::vector<std::uint32_t>(n, value));
}

// ---- Driver entry points through both APIs.

namespace {
constexpr const char* kEntryPoints =
    "cuda.h: cuGetProcAddress; cuda_runtime_api.h: cudaGetDriverEntryPoint, cudaGetDriverEntryPointByVersion";

// cuGetProcAddress with its result, traced as the harness's own functions are.
CUresult get_proc_address(const char* symbol, void** fn, int version, CUdriverProcAddressQueryResult* status) {
  return traced_driver_call("cuGetProcAddress", [&] {
    const GetProcAddressFn get = driver_get_proc_address();
    return get == nullptr ? CUDA_ERROR_NOT_INITIALIZED : get(symbol, fn, version, CU_GET_PROC_ADDRESS_LEGACY_STREAM, status);
  });
}

// cudaGetDriverEntryPoint, deprecated in CUDA 13.0 and what programs built before 12.5 call: traced
// here, since the harness's list of runtime functions leaves deprecated ones out.
cudaError_t get_driver_entry_point_unversioned(const char* symbol, void** fn, cudaDriverEntryPointQueryResult* status) {
  trace::Call call(trace::Api::runtime, "cudaGetDriverEntryPoint");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const cudaError_t r = ::cudaGetDriverEntryPoint(symbol, fn, cudaEnableLegacyStream, status);
#pragma GCC diagnostic pop
  call.finish(static_cast<int>(r), ::cudaGetErrorName(r));
  return r;
}

int driver_version() {
  int version = 0;
  CU(cuDriverGetVersion(&version));
  return version;
}

// Symbols whose signature changed under the same base name, at the versions either side of the change.
struct VersionedSymbol {
  const char* name;
  const char* symbol;
  int version;
};
constexpr VersionedSymbol kChangedAbis[] = {
    {"cuMemAlloc_at_2000", "cuMemAlloc", 2000},  // 32-bit CUdeviceptr
    {"cuMemAlloc_at_3020", "cuMemAlloc", 3020},  // cuMemAlloc_v2
    {"cuStreamGetCaptureInfo_at_11030", "cuStreamGetCaptureInfo", 11030},
    {"cuStreamGetCaptureInfo_at_12030", "cuStreamGetCaptureInfo", 12030},  // edge data added
    {"cuCtxSynchronize_at_2000", "cuCtxSynchronize", 2000},
    {"cuCtxSynchronize_at_13000", "cuCtxSynchronize", 13000},  // takes the context
};
}  // namespace

CTXSHARE_CASE(module_loading, entry_point_of_a_changed_abi_agrees_between_the_apis,
              {.claims = {"DRV-ENTRY"},
               .source = std::string("iree-org/iree#14056; tkestack/vcuda-controller#32; StanfordLegion/realm#240 - ") +
                         kEntryPoints + " (the function \"corresponding\" to the version asked for)",
               .labels = {"real-world"},
               .avoid = "Always ask for the version whose signature the program's typedef has (the PFN_..._vNNNNN of "
                        "cudaTypedefs.h), never the toolkit's CUDA_VERSION, and check the returned status.",
               .axes = {table_axis<kChangedAbis>("symbol_at_version")}}) {
  // IREE called cuMemAlloc's old ABI and got CUDA_ERROR_INVALID_CONTEXT; Realm found CUDA 13 giving
  // new signatures of old names. Both APIs must at least give the same function for one version.
  const VersionedSymbol& row = h.row<kChangedAbis>();
  if (driver_version() < row.version) h.skip("the driver is older than the version asked for");
  void* by_driver = nullptr;
  void* by_runtime = nullptr;
  CUdriverProcAddressQueryResult driver_status{};
  cudaDriverEntryPointQueryResult runtime_status{};
  CU(get_proc_address(row.symbol, &by_driver, row.version, &driver_status));
  CUDA(cudaGetDriverEntryPointByVersion(row.symbol, &by_runtime, row.version, cudaEnableLegacyStream, &runtime_status));
  h.expect_eq("the status of the lookup, runtime against driver", static_cast<int>(runtime_status),
              static_cast<int>(driver_status));
  h.expect_eq("the function for this version, runtime against driver", by_runtime, by_driver);
  // Null exactly when the status says nothing was found: a pointer with a failure status is unusable.
  h.expect((by_driver != nullptr) == (driver_status == CU_GET_PROC_ADDRESS_SUCCESS), FindingKind::mismatch,
           "cuGetProcAddress's pointer and status disagree", {{"status", static_cast<int>(driver_status)}});
  void* newest = nullptr;
  CUdriverProcAddressQueryResult newest_status{};
  CU(get_proc_address(row.symbol, &newest, driver_version(), &newest_status));
  h.observe("this version gives the same function as the driver's own version", by_driver == newest);
}

CTXSHARE_CASE(module_loading, unversioned_cudaGetDriverEntryPoint_gives_the_runtime_versions_function,
              {.claims = {"DRV-ENTRY-MISSING", "DRV-ENTRY"},
               .source = std::string("NVIDIA/cutlass#2079; NVIDIA/cutlass#2086; NVIDIA/Fuser#4447 - ") + kEntryPoints +
                         " (cudaGetDriverEntryPoint returns the function versioned for the CUDA runtime version)",
               .labels = {"real-world"},
               .avoid = "Prefer cudaGetDriverEntryPointByVersion (or cuGetProcAddress) with the version the program's "
                        "typedef was written for; the unversioned lookup answers for whatever runtime the process loaded.",
               }) {
  // CUTLASS fell back to the unversioned lookup where the driver lacked the versioned one: what it
  // returns must be the function of the runtime's own version (this build's CUDART_VERSION).
  if (driver_version() < CUDART_VERSION) h.skip("the driver is older than this build's runtime");
  for (const char* symbol : {"cuMemAlloc", "cuStreamGetCaptureInfo", "cuCtxSynchronize", "cuCtxCreate"}) {
    void* unversioned = nullptr;
    void* by_driver = nullptr;
    cudaDriverEntryPointQueryResult status{};
    CUdriverProcAddressQueryResult driver_status{};
    CUDA(get_driver_entry_point_unversioned(symbol, &unversioned, &status));
    CU(get_proc_address(symbol, &by_driver, CUDART_VERSION, &driver_status));
    h.expect_eq(std::string(symbol) + ": cudaGetDriverEntryPoint's status", status, cudaDriverEntryPointSuccess);
    h.expect_eq(std::string(symbol) + ": cudaGetDriverEntryPoint against cuGetProcAddress at CUDART_VERSION", unversioned,
                by_driver);
  }
}

namespace {
CTXSHARE_AXIS(LookupApi, cuGetProcAddress, cudaGetDriverEntryPointByVersion);
}  // namespace

CTXSHARE_CASE(module_loading, entry_point_for_a_version_newer_than_the_driver_fails,
              {.claims = {"DRV-ENTRY-MISSING"},
               .source = std::string("NVIDIA/cutlass#2079; NVIDIA/cutlass#2086 - ") + kEntryPoints +
                         " (\"If the specified CUDA version is greater than the driver version, the API will return "
                         "CUDA_ERROR_INVALID_VALUE\" / cudaErrorInvalidValue)",
               .verdict = Verdict::fails, .expected_error = "CUDA_ERROR_INVALID_VALUE / cudaErrorInvalidValue",
               .labels = {"real-world"},
               .avoid = "Ask for the version the program was written for, and never more than cuDriverGetVersion "
                        "reports: a toolkit newer than the driver must not pass its own CUDA_VERSION.",
               .axes = {axis<LookupApi>()}}) {
  // A binary built with a newer toolkit than the machine's driver asking for its own version.
  const int newer = driver_version() + 1000;
  void* fn = nullptr;
  if (h.param<LookupApi>() == LookupApi::cuGetProcAddress) {
    CUdriverProcAddressQueryResult status{};
    EXPECT_ERROR(CUDA_ERROR_INVALID_VALUE, get_proc_address("cuMemAlloc", &fn, newer, &status));
  } else {
    cudaDriverEntryPointQueryResult status{};
    EXPECT_ERROR(cudaErrorInvalidValue,
                 cudaGetDriverEntryPointByVersion("cuMemAlloc", &fn, newer, cudaEnableLegacyStream, &status));
  }
}

namespace {
struct MissingLookup {
  const char* name;
  const char* symbol;
  int version;
  CUdriverProcAddressQueryResult driver_status;
  cudaDriverEntryPointQueryResult runtime_status;
};
constexpr MissingLookup kMissingLookups[] = {
    {"unknown_symbol", "cuNoSuchFunctionInAnyDriver", 12000, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND,
     cudaDriverEntryPointSymbolNotFound},
    {"version_before_the_symbol", "cuLibraryLoadData", 11080, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT,
     cudaDriverEntryPointVersionNotSufficent},  // cuLibraryLoadData came with 12.0
};
}  // namespace

CTXSHARE_CASE(module_loading, entry_point_lookup_that_finds_nothing_succeeds_with_a_null_pointer,
              {.claims = {"DRV-ENTRY-MISSING"},
               .source = std::string("NVIDIA/Fuser#4735; NVIDIA/cccl#11086 - ") + kEntryPoints +
                         " (CUDA_SUCCESS / cudaSuccess with a NULL pointer and the status saying why)",
               .labels = {"real-world"},
               .avoid = "Check the query status (CU_GET_PROC_ADDRESS_SUCCESS / cudaDriverEntryPointSuccess) and the "
                        "pointer, not only the returned code: a lookup that found nothing still succeeds.",
               .axes = {table_axis<kMissingLookups>("lookup"), axis<LookupApi>()}}) {
  // nvFuser called a null pointer after a lookup that "succeeded": the status said why it was null.
  const MissingLookup& row = h.row<kMissingLookups>();
  int sentinel = 0;
  void* fn = &sentinel;  // anything but null: the call must clear it
  if (h.param<LookupApi>() == LookupApi::cuGetProcAddress) {
    CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SUCCESS;
    CU(get_proc_address(row.symbol, &fn, row.version, &status));
    h.expect_eq("cuGetProcAddress's status", static_cast<int>(status), static_cast<int>(row.driver_status));
  } else {
    cudaDriverEntryPointQueryResult status = cudaDriverEntryPointSuccess;
    CUDA(cudaGetDriverEntryPointByVersion(row.symbol, &fn, row.version, cudaEnableLegacyStream, &status));
    h.expect_eq("cudaGetDriverEntryPointByVersion's status", static_cast<int>(status), static_cast<int>(row.runtime_status));
  }
  h.expect_eq("the pointer of a lookup that found nothing", fn, static_cast<void*>(nullptr));
}

// ---- Kernel handles across the APIs.

namespace {
CTXSHARE_AXIS(LaunchContext, stream_of_a_created_context, null_stream_with_a_created_context_current);
}  // namespace

CTXSHARE_CASE(module_loading, cudaGetKernel_handle_launched_by_cuLaunchKernel_in_a_created_context,
              {.claims = {"DRV-KERNEL-LAUNCH", "RT-TYPES", "RT-NONPRIMARY"},
               .source = "accel-sim/accel-sim-framework#521; NVIDIA/cccl#7890 - cuda.h: cuLaunchKernel (a CUkernel cast "
                         "to CUfunction launches in the context of hStream, or the current one for the NULL stream); "
                         "cuda_runtime_api.h: cudaGetKernel",
               .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "Pass a CUkernel to cuLaunchKernel only with a stream of the context it must run in (or that "
                        "context current); turn it into a CUfunction with cuKernelGetFunction for calls that need one.",
               .axes = {axis<LaunchContext>()}}) {
  // CCCL launches the runtime's kernels as CUkernels without setting a context: the stream's
  // context, not the primary the runtime found the kernel in, is where it must run.
  CUDA(cudaSetDevice(0));
  CUcontext primary = nullptr;
  CU(cuCtxGetCurrent(&primary));
  cudaKernel_t kernel = nullptr;
  CUDA(cudaGetKernel(&kernel, write_value));
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  const std::size_t n = 1 << 16;
  CUdeviceptr out = 0;
  CU(cuMemAlloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::driver);
  const bool on_stream = h.param<LaunchContext>() == LaunchContext::stream_of_a_created_context;
  const CUstream launch_stream = on_stream ? stream : nullptr;
  // A gate in the created context, held until after its synchronize began: the launch queues behind it.
  Gate gate(h);
  gate.hold(launch_stream, write_value);
  if (on_stream) CU(cuCtxSetCurrent(primary));  // the stream, not the current context, must decide
  std::uint32_t value = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &value, &count};
  CU(cuLaunchKernel(reinterpret_cast<CUfunction>(kernel), blocks_for(n), 1, 1, 256, 1, 1, 0, launch_stream, args, nullptr));
  CU(cuCtxSetCurrent(created));
  gate.open_after(kSettle);
  CU(cuCtxSynchronize());
  gate.expect_waited(h, "cuCtxSynchronize with the created context current");
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), reinterpret_cast<void*>(out), n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a runtime kernel launched as a CUkernel into the created context's memory", seen,
                      std::vector<std::uint32_t>(n, value));
}

CTXSHARE_CASE(module_loading, cuFuncGetAttribute_of_a_CUkernel_passed_as_a_CUfunction,
              {.claims = {"RT-TYPES", "DRV-KERNEL-LAUNCH"},
               .source = "accel-sim/accel-sim-framework#521 - cuda.h: cuLaunchKernel accepts a CUkernel cast to CUfunction; "
                         "cuFuncGetAttribute names only CUfunction (for a CUkernel: cuKernelGetAttribute)",
               .verdict = Verdict::hazard, .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "A handle that may be a CUkernel must be queried with cuKernelGetAttribute, or turned into a "
                        "CUfunction with cuKernelGetFunction first.",
               }) {
  // Accel-Sim's tracer asked cuFuncGetAttribute about what cuLaunchKernel had been given, a CUkernel,
  // and got CUDA_ERROR_INVALID_HANDLE.
  CUDA(cudaSetDevice(0));
  cudaKernel_t kernel = nullptr;
  CUDA(cudaGetKernel(&kernel, write_value));
  cudaFuncAttributes attributes{};
  CUDA(cudaFuncGetAttributes(&attributes, write_value));
  int registers = -1;
  const CUresult r = h.observe_result("cuFuncGetAttribute(NUM_REGS) of a CUkernel cast to CUfunction",
                                      cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, reinterpret_cast<CUfunction>(kernel)));
  // Honest either way: an answer given must be the kernel's.
  if (r == CUDA_SUCCESS) h.expect_eq("the registers it reported, against cudaFuncGetAttributes", registers, attributes.numRegs);
}

CTXSHARE_CASE(module_loading, cuKernelGetFunction_given_a_CUfunction,
              {.claims = {"RT-TYPES"},
               .source = "NVIDIA/cuda-python#129 - cuda.h: cuKernelGetFunction takes a CUkernel (cuLibraryGetKernel, "
                         "cudaGetKernel); a CUfunction passed instead is undocumented",
               .verdict = Verdict::hazard, .needs = {.min_driver = 12050}, .labels = {"real-world"},
               .avoid = "Keep CUfunction (cuModuleGetFunction, cudaGetFuncBySymbol) and CUkernel (cuLibraryGetKernel, "
                        "cudaGetKernel) apart: only a CUkernel goes to cuKernel* calls.",
               .timeout_s = 20}) {
  // cuda-python's user passed cuModuleGetFunction's handle to cuKernelGetFunction: a segfault.
  CUDA(cudaSetDevice(0));
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&write_value)));
  CUfunction result = nullptr;
  const CUresult r = h.observe_result("cuKernelGetFunction of a CUfunction cast to CUkernel",
                                      cuKernelGetFunction(&result, reinterpret_cast<CUkernel>(function)));
  if (r == CUDA_SUCCESS) h.observe("it gave back the same CUfunction", result == static_cast<CUfunction>(function));
}

CTXSHARE_CASE(module_loading, cudaLaunchKernel_given_a_CUfunction,
              {.claims = {"RT-TYPES"},
               .source = "ROCm/rocm-systems#11580 - cuda_runtime_api.h: cudaLaunchKernel takes a __global__ function or a "
                         "cudaKernel_t; a CUfunction (cudaFunction_t, cudaGetFuncBySymbol) is not among them",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Launch a CUfunction with cuLaunchKernel; give cudaLaunchKernel the __global__ function itself or "
                        "a cudaKernel_t from cudaGetKernel.",
               .timeout_s = 20}) {
  // HIP found callers passing hipGetFuncBySymbol's handle straight to hipLaunchKernel and had to
  // keep it working; what CUDA's runtime does with a cudaFunction_t is recorded here.
  CUDA(cudaSetDevice(0));
  cudaFunction_t function = nullptr;
  CUDA(cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&write_value)));
  const std::size_t n = 4096;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  CUDA(cudaMemset(out, 0, n * 4));
  std::uint32_t value = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&out, &value, &count};
  const cudaError_t r = h.observe_result("cudaLaunchKernel of a cudaFunction_t",
                                         cudaLaunchKernel(reinterpret_cast<const void*>(function), dim3(blocks_for(n)),
                                                          dim3(256), args, 0, nullptr));
  h.observe_result("cudaDeviceSynchronize after it", cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  if (h.observe_result("cudaMemcpy of the output afterwards", cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost)) !=
      cudaSuccess)
    return;  // the launch left the context unusable: recorded
  // Honest either way: a launch that succeeded ran the kernel, one that failed wrote nothing.
  h.expect_same_words(r == cudaSuccess ? "the launch succeeded: the kernel wrote its value" : "the launch failed: nothing written",
                      seen, std::vector<std::uint32_t>(n, r == cudaSuccess ? value : 0u));
}

}  // namespace ctxshare
