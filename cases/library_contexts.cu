// library_contexts: the toolkit's runtime-based libraries (cuFFT, cuRAND, cuSPARSE, cuSOLVER) and
// nvJitLink on the contexts a driver-API program makes: a plan or handle made under a created context
// or a pushed primary and run on a driver stream, checked against the CPU, with what is current after
// each library call; and the handles a program keeps (a plan cache, a handle per device) used after
// their context was destroyed or reset. Every case is "real-world": the patterns come from the
// public reports its source names (PyCUDA with scikit-cuda, PyTorch's plan cache, Cytnx and Ginkgo
// handle caches, Torch's RNG after a reset, nvJitLink users).
// Sources: cufft.h, curand.h, cusparse.h, cusolverDn.h, nvJitLink.h (each library's stream setter and
// functions); cuda_runtime_api.h, Interactions with the CUDA Driver API; cuda.h, cuCtxDestroy.
// The libraries are loaded at run time (harness/cuda/libraries.h); a build without a library's header
// compiles its bodies out and skips the cases that need it, with that reason.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "cases/support.cuh"
#include "harness/case/case.h"
#include "harness/cuda/libraries.h"

namespace ctxshare {

namespace {


// How the context a library handle was made in went away: a program's own created context destroyed,
// or the primary context reset under a cache that keeps the handle.
CTXSHARE_AXIS(ContextGone, created_context_destroyed, primary_reset);

// The helpers below serve the libraries this build has; without any, they are unused.
// The context a library handle is made in, current on this thread and handed to the harness.
[[maybe_unused]] CUcontext host_context(Case& h, HostContext which) {
  CUcontext ctx = nullptr;
  if (which == HostContext::created_context) {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  } else {
    CU(cuDevicePrimaryCtxRetain(&ctx, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxPushCurrent(ctx));
  }
  h.name_context(ctx, which == HostContext::created_context ? "created context" : "retained primary");
  return ctx;
}

// The context a stale handle is made in: a created context (not handed over: the case destroys it),
// or the primary context, current through the runtime.
[[maybe_unused]] CUcontext doomed_context(Case& h, ContextGone how) {
  CUcontext ctx = nullptr;
  if (how == ContextGone::created_context_destroyed) {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
  } else {
    CUDA(cudaSetDevice(0));
    CU(cuCtxGetCurrent(&ctx));
  }
  return ctx;
}
[[maybe_unused]] void end_context(Case& h, ContextGone how, CUcontext ctx) {
  if (how == ContextGone::created_context_destroyed) CU(cuCtxDestroy(ctx));
  else CUDA(cudaDeviceReset());
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.observe("context current after the handle's context went away", current == nullptr ? "none" : current == ctx ? "that same context" : "another");
}

// Device memory of the current context, handed to the harness, holding `bytes` of `data`.
[[maybe_unused]] CUdeviceptr device_copy(Case& h, const void* data, std::size_t bytes) {
  CUdeviceptr p = 0;
  CU(cuMemAlloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::driver);
  CU(cuMemcpyHtoD(p, data, bytes));
  return p;
}
[[maybe_unused]] CUstream driver_stream(Case& h) {
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  return stream;
}
[[maybe_unused]] std::vector<float> small_integers(Case& h, std::size_t n, std::uint32_t below) {
  std::vector<float> v(n);
  const auto words = h.random_words(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(words[i] % below);
  return v;
}
// Elements farther than 1e-3 from the CPU's: results of small integers are integers, so a wrong or
// unwritten element is off by far more.
template <class Expected>
std::size_t wrong_elements(const std::vector<float>& seen, const std::vector<Expected>& expected) {
  std::size_t wrong = seen.size() == expected.size() ? 0 : 1 + seen.size();
  for (std::size_t i = 0; i < seen.size() && i < expected.size(); ++i) wrong += !(std::fabs(seen[i] - expected[i]) <= 1e-3);
  return wrong;
}

// ---- cuFFT: a batch of 8-point complex transforms of small integers.
constexpr int kFftSize = 8, kFftBatch = 64;
constexpr std::size_t kFftFloats = 2 * kFftSize * kFftBatch;

// The forward DFT (cuFFT's sign, -1) of each batch, in double.
[[maybe_unused]] std::vector<double> cpu_fft(const std::vector<float>& in) {
  std::vector<double> out(in.size());
  const double pi = std::acos(-1.0);
  for (int b = 0; b < kFftBatch; ++b)
    for (int k = 0; k < kFftSize; ++k) {
      double re = 0, im = 0;
      for (int n = 0; n < kFftSize; ++n) {
        const double a = -2 * pi * k * n / kFftSize, xr = in[2 * (b * kFftSize + n)], xi = in[2 * (b * kFftSize + n) + 1];
        re += xr * std::cos(a) - xi * std::sin(a);
        im += xr * std::sin(a) + xi * std::cos(a);
      }
      out[2 * (b * kFftSize + k)] = re;
      out[2 * (b * kFftSize + k) + 1] = im;
    }
  return out;
}

#if CTXSHARE_HAS_CUFFT
// Runs the plan forward on driver memory of the current context and a driver stream; returns what
// it answered, and whether the output then held the CPU's answer or was left as it was filled.
struct FftRun {
  cufftResult set_stream = CUFFT_SUCCESS, result = CUFFT_SUCCESS;
  bool matches_cpu = false, untouched = false;
  std::size_t wrong = 0;
};
FftRun fft_on_driver_objects(Case& h, cufftHandle plan) {
  const auto in = small_integers(h, kFftFloats, 8);
  const std::vector<float> fill(kFftFloats, -7.0f);  // no transform of these inputs gives -7 everywhere
  const std::size_t bytes = kFftFloats * sizeof(float);
  const CUdeviceptr din = device_copy(h, in.data(), bytes), dout = device_copy(h, fill.data(), bytes);
  const CUstream stream = driver_stream(h);
  FftRun run;
  run.set_stream = cufftSetStream(plan, stream);
  run.result = cufftExecC2C(plan, reinterpret_cast<cufftComplex*>(din), reinterpret_cast<cufftComplex*>(dout), CUFFT_FORWARD);
  std::vector<float> seen(kFftFloats);
  CU(cuMemcpyDtoHAsync(seen.data(), dout, bytes, stream));
  CU(cuStreamSynchronize(stream));
  run.wrong = wrong_elements(seen, cpu_fft(in));
  run.matches_cpu = run.wrong == 0;
  run.untouched = seen == fill;
  return run;
}
#endif

}  // namespace

CTXSHARE_CASE(library_contexts, cufft_plan_on_a_driver_context_and_stream_matches_the_cpu,
              {.claims = {"SEED-LIBRARY", "RT-NONPRIMARY", "LIB-SETSTREAM"},
               .source = std::string("inducer/pycuda#355; lebedov/scikit-cuda#330; flatironinstitute/cufinufft#71; "
                                     "JuliaGPU/CuArrays.jl#262; cupy/cupy#2357 - cufft.h: cufftPlan1d, cufftSetStream, "
                                     "cufftExecC2C, cufftDestroy; ") + kInterop,
               .needs = {.libraries = {"cufft"}}, .labels = {"real-world"},
               .avoid = "Make the plan with the context the transform will run in current, set its stream with "
                        "cufftSetStream before each execution, and keep that context current until cufftDestroy.",
               .axes = {axis<HostContext>()}}) {
#if CTXSHARE_HAS_CUFFT
  // scikit-cuda makes cuFFT plans under PyCUDA's context: which context is current after each cuFFT
  // call is what PyCUDA relies on, and the transform must be the CPU's.
  const CUcontext ctx = host_context(h, h.param<HostContext>());
  const Ledger before = h.ledger();
  cufftHandle plan = 0;
  LIB(cufftPlan1d(&plan, kFftSize, CUFFT_C2C, kFftBatch));
  h.expect_ledger_unchanged(before, "cufftPlan1d");
  const FftRun run = fft_on_driver_objects(h, plan);
  h.expect_eq("cufftSetStream with a driver stream", status_name(run.set_stream), status_name(CUFFT_SUCCESS),
              FindingKind::unexpected_error);
  h.expect_eq("cufftExecC2C on driver memory and a driver stream", status_name(run.result), status_name(CUFFT_SUCCESS),
              FindingKind::unexpected_error);
  h.expect(run.matches_cpu, FindingKind::data_mismatch, "the transform against the CPU's", {{"wrong_elements", run.wrong}});
  h.expect_ledger_unchanged(before, "cufftSetStream and cufftExecC2C");
  LIB(cufftDestroy(plan));
  h.expect_ledger_unchanged(before, "cufftDestroy");
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("context current after cufftDestroy", current, ctx, FindingKind::context_changed);
#endif
}

CTXSHARE_CASE(library_contexts, cufftDestroy_leaves_the_created_context_alive,
              {.claims = {"SEED-LIBRARY", "RT-NONPRIMARY"},
               .source = "inducer/pycuda#355; lebedov/scikit-cuda#330; m4rs-mt/ILGPU#971 - cufft.h: cufftPlan1d, cufftDestroy; "
                         "cuda.h: cuCtxCreate, cuCtxGetApiVersion",
               .needs = {.libraries = {"cufft"}}, .labels = {"real-world"},
               .avoid = "Keep the program's context pushed around cuFFT calls and check with cuCtxGetCurrent that it is "
                        "still current after cufftDestroy, before the next driver call.",
               .timeout_s = 30}) {
#if CTXSHARE_HAS_CUFFT
  // The reported sequence: pycuda.autoinit's context, a plan made and destroyed without running it,
  // then "cuMemAlloc failed: context is destroyed".
  CUcontext ctx = nullptr;
  CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
  h.own_context(ctx);
  cufftHandle plan = 0;
  LIB(cufftPlan1d(&plan, kFftSize, CUFFT_C2C, kFftBatch));
  LIB(cufftDestroy(plan));
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("context current after cufftDestroy", current, ctx, FindingKind::context_changed);
  unsigned version = 0;
  h.expect_eq("cuCtxGetApiVersion of the created context after cufftDestroy", cuCtxGetApiVersion(ctx, &version), CUDA_SUCCESS,
              FindingKind::handle_invalidated);
  const auto words = h.random_words(1024);
  const CUdeviceptr p = device_copy(h, words.data(), words.size() * 4);  // the allocation that failed in the report
  std::vector<std::uint32_t> seen(words.size());
  CU(cuMemcpyDtoH(seen.data(), p, seen.size() * 4));
  h.expect_same_words("memory of the created context allocated after cufftDestroy", seen, words);
#endif
}

CTXSHARE_CASE(library_contexts, cufft_plan_executed_with_another_context_current,
              {.claims = {"SEED-LIBRARY", "RT-CURRENT"},
               .source = "pytorch/pytorch#19224 - cufft.h: cufftPlan1d, cufftExecC2C (no rule is given for a plan run "
                         "under another context than it was made in)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cufft"}}, .labels = {"real-world"},
               .avoid = "Key plan caches by context (or device) and make a plan per context; never run a plan made under "
                        "another context.",
               .timeout_s = 30}) {
#if CTXSHARE_HAS_CUFFT
  // PyTorch's plan cache ignored the context: a plan of one context ran on another's data and failed
  // with CUFFT_EXEC_FAILED. Whatever cuFFT answers must be true.
  CUcontext first = nullptr, second = nullptr;
  CU(cuCtxCreate(&first, nullptr, 0, h.device(0)));
  h.own_context(first);
  cufftHandle plan = 0;
  LIB(cufftPlan1d(&plan, kFftSize, CUFFT_C2C, kFftBatch));
  CU(cuCtxCreate(&second, nullptr, 0, h.device(0)));  // current now: the data and stream are its own
  h.own_context(second);
  h.defer("the cuFFT plan, under the context it was made in", [plan, first] {
    cuCtxPushCurrent(first);
    const cufftResult r = cufftDestroy(plan);
    cuCtxPopCurrent(nullptr);
    return r == CUFFT_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN;
  });
  const FftRun run = fft_on_driver_objects(h, plan);
  h.observe("cufftSetStream of a plan of another context", status_name(run.set_stream));
  h.observe("cufftExecC2C of a plan of another context", status_name(run.result));
  h.expect(run.result == CUFFT_SUCCESS ? run.matches_cpu : run.untouched, FindingKind::data_mismatch,
           run.result == CUFFT_SUCCESS ? "cufftExecC2C succeeded: the output must be the transform"
                                       : "cufftExecC2C failed: the output must be untouched",
           {{"status", status_name(run.result)}, {"wrong_elements", run.wrong}});
#endif
}

namespace {
// Where a thread with no context current runs a plan made under the primary context.
CTXSHARE_AXIS(NoContextOn, same_thread_after_cuCtxSetCurrent_null, new_thread);
}  // namespace

CTXSHARE_CASE(library_contexts, cufft_plan_executed_with_no_context_current,
              {.claims = {"SEED-LIBRARY", "RT-IMPLICIT"},
               .source = "pytorch/pytorch#110326 - cufft.h: cufftExecC2C; cuda_runtime_api.h, Interactions with the CUDA "
                         "Driver API: Initialization and Tear-Down (a runtime call with no context current makes the primary "
                         "current; whether cuFFT's execution is such a call is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cufft"}}, .labels = {"real-world"},
               .avoid = "Make the plan's context current (cudaSetDevice, or cuCtxSetCurrent of its primary) on the thread "
                        "before cufftExec*, as PyTorch now does when cuCtxGetCurrent returns none.",
               .timeout_s = 30, .axes = {axis<NoContextOn>()}}) {
#if CTXSHARE_HAS_CUFFT
  // PyTorch's backward FFT ran on an autograd thread with the primary context existing but not
  // current; it now makes it current first. What cuFFT does without is recorded.
  CUDA(cudaSetDevice(0));
  cufftHandle plan = 0;
  LIB(cufftPlan1d(&plan, kFftSize, CUFFT_C2C, kFftBatch));
  h.defer("the cuFFT plan", [plan] { return cufftDestroy(plan) == CUFFT_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN; });
  CUcontext primary = nullptr;
  CU(cuCtxGetCurrent(&primary));
  const auto in = small_integers(h, kFftFloats, 8);
  const std::vector<float> fill(kFftFloats, -7.0f);
  const std::size_t bytes = kFftFloats * sizeof(float);
  const CUdeviceptr din = device_copy(h, in.data(), bytes), dout = device_copy(h, fill.data(), bytes);
  cufftResult result = CUFFT_SUCCESS;
  CUcontext after = nullptr;
  auto execute = [&] {
    result = cufftExecC2C(plan, reinterpret_cast<cufftComplex*>(din), reinterpret_cast<cufftComplex*>(dout), CUFFT_FORWARD);
    CU(cuCtxGetCurrent(&after));
  };
  if (h.param<NoContextOn>() == NoContextOn::new_thread) {
    h.on_thread(execute);
  } else {
    CU(cuCtxSetCurrent(nullptr));
    execute();
    CU(cuCtxSetCurrent(primary));
  }
  h.observe("cufftExecC2C with no context current", status_name(result));
  h.observe("context current after it", after == nullptr ? "none" : after == primary ? "the primary context" : "another");
  CU(cuCtxSynchronize());
  std::vector<float> seen(kFftFloats);
  CU(cuMemcpyDtoH(seen.data(), dout, bytes));
  const std::size_t wrong = wrong_elements(seen, cpu_fft(in));
  h.expect(result == CUFFT_SUCCESS ? wrong == 0 : seen == fill, FindingKind::data_mismatch,
           result == CUFFT_SUCCESS ? "cufftExecC2C succeeded: the output must be the transform"
                                   : "cufftExecC2C failed: the output must be untouched",
           {{"status", status_name(result)}, {"wrong_elements", wrong}});
#endif
}

CTXSHARE_CASE(library_contexts, cufft_plan_executed_after_its_context_is_gone,
              {.claims = {"RT-RESET", "SEED-LIBRARY"},
               .source = "Cytnx-dev/Cytnx#1161; AMReX-Codes/amrex#5046; ggml-org/llama.cpp#24682 - cufft.h: cufftExecC2C; "
                         "cuda.h: cuCtxDestroy; cuda_runtime_api.h: cudaDeviceReset (what becomes of a plan is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cufft"}}, .labels = {"real-world"},
               .avoid = "Destroy every plan before its context is destroyed or reset, and drop cached plans when it is "
                        "(key the cache by a context generation bumped at each reset).",
               .timeout_s = 30, .axes = {axis<ContextGone>()}}) {
#if CTXSHARE_HAS_CUFFT
  // A plan cache outlives the context: its next hit runs a plan whose context is gone.
  const ContextGone how = h.param<ContextGone>();
  const CUcontext ctx = doomed_context(h, how);
  cufftHandle plan = 0;
  LIB(cufftPlan1d(&plan, kFftSize, CUFFT_C2C, kFftBatch));
  end_context(h, how, ctx);
  CUDA(cudaSetDevice(0));  // the program goes on in the primary context, as a cache's user would
  const FftRun run = fft_on_driver_objects(h, plan);
  h.observe("cufftSetStream of a plan whose context is gone", status_name(run.set_stream));
  h.observe("cufftExecC2C of a plan whose context is gone", status_name(run.result));
  h.expect(run.result == CUFFT_SUCCESS ? run.matches_cpu : run.untouched, FindingKind::data_mismatch,
           run.result == CUFFT_SUCCESS ? "cufftExecC2C succeeded: the output must be the transform"
                                       : "cufftExecC2C failed: the output must be untouched",
           {{"status", status_name(run.result)}, {"wrong_elements", run.wrong}});
  h.observe("cufftDestroy of it", status_name(cufftDestroy(plan)));
#endif
}

// ---- cuRAND

namespace {
constexpr std::size_t kRandomWords = 1 << 14;

#if CTXSHARE_HAS_CURAND
// The generator's first words as the CPU makes them: a host generator of the same type and seed.
std::vector<std::uint32_t> host_random_words(unsigned long long seed) {
  curandGenerator_t host = nullptr;
  LIB(curandCreateGeneratorHost(&host, CURAND_RNG_PSEUDO_PHILOX4_32_10));
  std::vector<std::uint32_t> words(kRandomWords);
  LIB(curandSetPseudoRandomGeneratorSeed(host, seed));
  LIB(curandGenerate(host, words.data(), words.size()));
  LIB(curandDestroyGenerator(host));
  return words;
}
#endif
}  // namespace

CTXSHARE_CASE(library_contexts, curand_generator_on_a_created_context_matches_the_host_generator,
              {.claims = {"SEED-LIBRARY", "RT-NONPRIMARY", "LIB-SETSTREAM", "LIB-CURAND-HOST"},
               .source = "torch/DEPRECEATED-torch7-distro#166; torch/cutorch#53; pytorch/pytorch#7392 - curand.h: "
                         "curandCreateGenerator, curandSetStream, curandGenerate, curandCreateGeneratorHost",
               .needs = {.libraries = {"curand"}}, .labels = {"real-world"},
               .avoid = "Make one generator per context (or device) with that context current, set its stream with "
                        "curandSetStream, and make a new one when the program changes context.",
               .axes = {axis<HostContext>()}}) {
#if CTXSHARE_HAS_CURAND
  // Torch re-made its cuRAND generator per device; here one lives in a driver context and writes
  // on a driver stream, and its words must be the CPU generator's.
  host_context(h, h.param<HostContext>());
  const Ledger before = h.ledger();
  const unsigned long long seed = h.random_words(1)[0];
  curandGenerator_t generator = nullptr;
  LIB(curandCreateGenerator(&generator, CURAND_RNG_PSEUDO_PHILOX4_32_10));
  h.defer("the cuRAND generator", [generator] {
    return curandDestroyGenerator(generator) == CURAND_STATUS_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN;
  });
  h.expect_ledger_unchanged(before, "curandCreateGenerator");
  const std::vector<std::uint32_t> zeros(kRandomWords, 0);
  const CUdeviceptr out = device_copy(h, zeros.data(), kRandomWords * 4);
  const CUstream stream = driver_stream(h);
  LIB(curandSetPseudoRandomGeneratorSeed(generator, seed));
  LIB(curandSetStream(generator, stream));
  LIB(curandGenerate(generator, reinterpret_cast<unsigned int*>(out), kRandomWords));
  // Page-locked, so that the copy is asynchronous and cuStreamSynchronize is what waits for it; held
  // behind a gate that opens 200 ms later, so a synchronize that returned at once finds it pending.
  std::uint32_t* pinned = pinned_words(h, kRandomWords);
  Gate gate(h);
  gate.hold(stream);
  CU(cuMemcpyDtoHAsync(pinned, out, kRandomWords * 4, stream));
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the generator's stream");
  const std::vector<std::uint32_t> seen(pinned, pinned + kRandomWords);
  h.expect_same_words("curandGenerate in a driver context on a driver stream, against the host generator", seen,
                      host_random_words(seed));
  h.expect_ledger_unchanged(before, "curandSetStream and curandGenerate");
#endif
}

CTXSHARE_CASE(library_contexts, curand_generator_used_after_its_context_is_gone,
              {.claims = {"RT-RESET", "SEED-LIBRARY", "LIB-CURAND-HOST"},
               .source = "torch/cutorch#83; ggml-org/llama.cpp#24682 - curand.h: curandGenerate; cuda.h: cuCtxDestroy; "
                         "cuda_runtime_api.h: cudaDeviceReset (what becomes of a generator is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"curand"}}, .labels = {"real-world"},
               .avoid = "Destroy generators before their context goes and make new ones after a reset, as cutorch "
                        "re-initializes its RNG after cudaDeviceReset.",
               .timeout_s = 30, .axes = {axis<ContextGone>()}}) {
#if CTXSHARE_HAS_CURAND
  const ContextGone how = h.param<ContextGone>();
  const CUcontext ctx = doomed_context(h, how);
  const unsigned long long seed = h.random_words(1)[0];
  curandGenerator_t generator = nullptr;
  LIB(curandCreateGenerator(&generator, CURAND_RNG_PSEUDO_PHILOX4_32_10));
  LIB(curandSetPseudoRandomGeneratorSeed(generator, seed));
  end_context(h, how, ctx);
  CUDA(cudaSetDevice(0));
  const std::vector<std::uint32_t> zeros(kRandomWords, 0);
  const CUdeviceptr out = device_copy(h, zeros.data(), kRandomWords * 4);
  const curandStatus_t status = curandGenerate(generator, reinterpret_cast<unsigned int*>(out), kRandomWords);
  h.observe("curandGenerate of a generator whose context is gone", status_name(status));
  h.observe_result("cudaDeviceSynchronize after it", cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(kRandomWords);
  CU(cuMemcpyDtoH(seen.data(), out, kRandomWords * 4));
  h.expect_same_words(status == CURAND_STATUS_SUCCESS ? "curandGenerate succeeded: the words must be the generator's"
                                                      : "curandGenerate failed: the output must be untouched",
                      seen, status == CURAND_STATUS_SUCCESS ? host_random_words(seed) : zeros);
  h.observe("curandDestroyGenerator of it", status_name(curandDestroyGenerator(generator)));
#endif
}

// ---- cuSPARSE: gather, x[i] = y[index[i]], exact for any values.

namespace {
constexpr int kDense = 4096, kNonZeros = 512;

#if CTXSHARE_HAS_CUSPARSE
struct Gathered {
  cusparseStatus_t set_stream = CUSPARSE_STATUS_SUCCESS, status = CUSPARSE_STATUS_SUCCESS;
  std::vector<float> seen, expected, fill;
};
// cusparseGather on memory of the current context and a driver stream.
Gathered gather_on_driver_objects(Case& h, cusparseHandle_t handle) {
  Gathered g;
  const auto y = small_integers(h, kDense, 1000);
  const auto picks = h.random_words(kNonZeros);
  std::vector<int> index(kNonZeros);
  for (int i = 0; i < kNonZeros; ++i) {
    index[i] = static_cast<int>(picks[i] % kDense);
    g.expected.push_back(y[index[i]]);
  }
  g.fill.assign(kNonZeros, -1.0f);
  const CUdeviceptr dy = device_copy(h, y.data(), kDense * 4), dindex = device_copy(h, index.data(), kNonZeros * 4),
                    dx = device_copy(h, g.fill.data(), kNonZeros * 4);
  const CUstream stream = driver_stream(h);
  g.set_stream = cusparseSetStream(handle, stream);
  cusparseSpVecDescr_t x = nullptr;
  cusparseDnVecDescr_t dense = nullptr;
  LIB(cusparseCreateSpVec(&x, kDense, kNonZeros, reinterpret_cast<void*>(dindex), reinterpret_cast<void*>(dx),
                          CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_32F));
  LIB(cusparseCreateDnVec(&dense, kDense, reinterpret_cast<void*>(dy), CUDA_R_32F));
  g.status = cusparseGather(handle, dense, x);
  g.seen.resize(kNonZeros);
  CU(cuMemcpyDtoHAsync(g.seen.data(), dx, kNonZeros * 4, stream));
  CU(cuStreamSynchronize(stream));
  LIB(cusparseDestroySpVec(x));
  LIB(cusparseDestroyDnVec(dense));
  return g;
}
#endif
}  // namespace

CTXSHARE_CASE(library_contexts, cusparse_gather_on_a_driver_context_and_stream_matches_the_cpu,
              {.claims = {"SEED-LIBRARY", "RT-NONPRIMARY", "LIB-SETSTREAM"},
               .source = std::string("ginkgo-project/ginkgo#205; NVIDIA/AMGX#177 - cusparse.h: cusparseCreate, "
                                     "cusparseSetStream, cusparseGather, cusparseDestroy; ") + kInterop,
               .needs = {.libraries = {"cusparse"}}, .labels = {"real-world"},
               .avoid = "Create the cuSPARSE handle with the context it will serve current (Ginkgo sets the device "
                        "around it), and keep one handle per context.",
               .axes = {axis<HostContext>()}}) {
#if CTXSHARE_HAS_CUSPARSE
  const CUcontext ctx = host_context(h, h.param<HostContext>());
  const Ledger before = h.ledger();
  cusparseHandle_t handle = nullptr;
  LIB(cusparseCreate(&handle));
  h.expect_ledger_unchanged(before, "cusparseCreate");
  const Gathered g = gather_on_driver_objects(h, handle);
  h.expect_eq("cusparseSetStream with a driver stream", status_name(g.set_stream), status_name(CUSPARSE_STATUS_SUCCESS),
              FindingKind::unexpected_error);
  h.expect_eq("cusparseGather on driver memory and a driver stream", status_name(g.status), status_name(CUSPARSE_STATUS_SUCCESS),
              FindingKind::unexpected_error);
  h.expect(wrong_elements(g.seen, g.expected) == 0, FindingKind::data_mismatch, "the gathered values against the CPU's",
           {{"wrong_elements", wrong_elements(g.seen, g.expected)}});
  LIB(cusparseDestroy(handle));
  h.expect_ledger_unchanged(before, "cusparseSetStream, cusparseGather and cusparseDestroy");
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("context current after cusparseDestroy", current, ctx, FindingKind::context_changed);
#endif
}

CTXSHARE_CASE(library_contexts, cusparse_handle_used_after_its_context_is_gone,
              {.claims = {"RT-RESET", "SEED-LIBRARY"},
               .source = "ginkgo-project/ginkgo#256; ginkgo-project/ginkgo#241; NVIDIA/AMGX#177 - cusparse.h: cusparseGather, "
                         "cusparseDestroy; cuda_runtime_api.h: cudaDeviceReset (what becomes of a handle is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cusparse"}}, .labels = {"real-world"},
               .avoid = "Destroy cuSPARSE handles before destroying or resetting their context (Ginkgo resets a device "
                        "only when its last executor goes) and create new ones after.",
               .timeout_s = 30, .axes = {axis<ContextGone>()}}) {
#if CTXSHARE_HAS_CUSPARSE
  // Ginkgo found cudaDeviceReset corrupting cuBLAS handles but, it said, not cuSPARSE ones.
  const ContextGone how = h.param<ContextGone>();
  const CUcontext ctx = doomed_context(h, how);
  cusparseHandle_t handle = nullptr;
  LIB(cusparseCreate(&handle));
  end_context(h, how, ctx);
  CUDA(cudaSetDevice(0));
  const Gathered g = gather_on_driver_objects(h, handle);
  h.observe("cusparseSetStream with a handle whose context is gone", status_name(g.set_stream));
  h.observe("cusparseGather with it", status_name(g.status));
  const bool ok = g.status == CUSPARSE_STATUS_SUCCESS;
  h.expect(ok ? wrong_elements(g.seen, g.expected) == 0 : g.seen == g.fill, FindingKind::data_mismatch,
           ok ? "cusparseGather succeeded: the values must be gathered" : "cusparseGather failed: the output must be untouched",
           {{"status", status_name(g.status)}});
  h.observe("cusparseDestroy of it", status_name(cusparseDestroy(handle)));
#endif
}

// ---- cuSOLVER: the Cholesky factor of L*L^T, with L unit lower triangular of small integers, is L
// itself, and every step of it is exact in float.

namespace {
constexpr int kOrder = 16;

struct Cholesky {
  std::vector<float> a, l;  // column-major
};
[[maybe_unused]] Cholesky cholesky_problem(Case& h) {
  Cholesky c;
  c.l.assign(kOrder * kOrder, 0.0f);
  const auto words = h.random_words(kOrder * kOrder);
  for (int col = 0; col < kOrder; ++col)
    for (int row = col; row < kOrder; ++row) c.l[col * kOrder + row] = row == col ? 1.0f : static_cast<float>(words[col * kOrder + row] % 3);
  c.a.assign(kOrder * kOrder, 0.0f);
  for (int col = 0; col < kOrder; ++col)
    for (int row = 0; row < kOrder; ++row)
      for (int k = 0; k < kOrder; ++k) c.a[col * kOrder + row] += c.l[k * kOrder + row] * c.l[k * kOrder + col];
  return c;
}
// The lower triangle of a column-major matrix.
[[maybe_unused]] std::vector<float> lower(const std::vector<float>& m) {
  std::vector<float> out;
  for (int col = 0; col < kOrder; ++col)
    for (int row = col; row < kOrder; ++row) out.push_back(m[col * kOrder + row]);
  return out;
}

#if CTXSHARE_HAS_CUSOLVER
struct Factored {
  cusolverStatus_t set_stream = CUSOLVER_STATUS_SUCCESS, status = CUSOLVER_STATUS_SUCCESS;
  int info = -1;
  std::vector<float> seen;
};
// cusolverDnSpotrf on memory of the current context and a driver stream.
Factored potrf_on_driver_objects(Case& h, cusolverDnHandle_t handle, const Cholesky& c) {
  Factored f;
  const CUdeviceptr da = device_copy(h, c.a.data(), c.a.size() * 4);
  const int minus_one = -1;
  const CUdeviceptr dinfo = device_copy(h, &minus_one, sizeof minus_one);
  const CUstream stream = driver_stream(h);
  f.set_stream = cusolverDnSetStream(handle, stream);
  int lwork = 0;
  f.status = cusolverDnSpotrf_bufferSize(handle, CUBLAS_FILL_MODE_LOWER, kOrder, reinterpret_cast<float*>(da), kOrder, &lwork);
  if (f.status == CUSOLVER_STATUS_SUCCESS) {
    const std::vector<float> zeros(static_cast<std::size_t>(std::max(lwork, 1)), 0.0f);
    const CUdeviceptr work = device_copy(h, zeros.data(), zeros.size() * 4);
    f.status = cusolverDnSpotrf(handle, CUBLAS_FILL_MODE_LOWER, kOrder, reinterpret_cast<float*>(da), kOrder,
                                reinterpret_cast<float*>(work), lwork, reinterpret_cast<int*>(dinfo));
  }
  f.seen.resize(c.a.size());
  CU(cuMemcpyDtoHAsync(f.seen.data(), da, f.seen.size() * 4, stream));
  CU(cuMemcpyDtoHAsync(&f.info, dinfo, sizeof f.info, stream));
  CU(cuStreamSynchronize(stream));
  return f;
}
#endif
}  // namespace

CTXSHARE_CASE(library_contexts, cusolver_potrf_on_a_created_context_matches_the_cpu,
              {.claims = {"SEED-LIBRARY", "RT-NONPRIMARY", "LIB-SETSTREAM"},
               .source = std::string("Cytnx-dev/Cytnx#1148; fishjojo/pyscfad#130 - cusolverDn.h: cusolverDnCreate, "
                                     "cusolverDnSetStream, cusolverDnSpotrf; ") + kInterop,
               .needs = {.libraries = {"cusolver"}}, .labels = {"real-world"},
               .avoid = "Create cuSOLVER handles with the context they serve current and cache them per context (not per "
                        "device ordinal alone), setting the stream before each call.",
               .timeout_s = 30}) {
#if CTXSHARE_HAS_CUSOLVER
  const CUcontext ctx = host_context(h, HostContext::created_context);
  const Ledger before = h.ledger();
  cusolverDnHandle_t handle = nullptr;
  LIB(cusolverDnCreate(&handle));
  h.defer("the cuSOLVER handle", [handle] { return cusolverDnDestroy(handle) == CUSOLVER_STATUS_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN; });
  h.expect_ledger_unchanged(before, "cusolverDnCreate");
  const Cholesky c = cholesky_problem(h);
  const Factored f = potrf_on_driver_objects(h, handle, c);
  h.expect_eq("cusolverDnSetStream with a driver stream", status_name(f.set_stream), status_name(CUSOLVER_STATUS_SUCCESS),
              FindingKind::unexpected_error);
  h.expect_eq("cusolverDnSpotrf in a created context on a driver stream", status_name(f.status),
              status_name(CUSOLVER_STATUS_SUCCESS), FindingKind::unexpected_error);
  h.expect_eq("its devInfo (0: factored)", f.info, 0);
  h.expect(wrong_elements(lower(f.seen), lower(c.l)) == 0, FindingKind::data_mismatch, "the Cholesky factor against the CPU's",
           {{"wrong_elements", wrong_elements(lower(f.seen), lower(c.l))}});
  h.expect_ledger_unchanged(before, "cusolverDnSetStream and cusolverDnSpotrf");
  CUcontext current = nullptr;
  CU(cuCtxGetCurrent(&current));
  h.expect_eq("context current after cuSOLVER", current, ctx, FindingKind::context_changed);
#endif
}

CTXSHARE_CASE(library_contexts, cusolver_handle_used_after_its_context_is_gone,
              {.claims = {"RT-RESET", "SEED-LIBRARY"},
               .source = "Cytnx-dev/Cytnx#1161; Cytnx-dev/Cytnx#1148; torch/cutorch#121 - cusolverDn.h: cusolverDnSpotrf; "
                         "cuda.h: cuCtxDestroy; cuda_runtime_api.h: cudaDeviceReset (what becomes of a handle is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cusolver"}}, .labels = {"real-world"},
               .avoid = "Invalidate cached cuSOLVER handles when their context is destroyed or reset (cutorch recreates "
                        "its handles on reset) instead of keeping them for the process's life.",
               .timeout_s = 30, .axes = {axis<ContextGone>()}}) {
#if CTXSHARE_HAS_CUSOLVER
  // Cytnx caches one handle per device for the life of the process: a reset leaves it dangling.
  const ContextGone how = h.param<ContextGone>();
  const CUcontext ctx = doomed_context(h, how);
  cusolverDnHandle_t handle = nullptr;
  LIB(cusolverDnCreate(&handle));
  end_context(h, how, ctx);
  CUDA(cudaSetDevice(0));
  const Cholesky c = cholesky_problem(h);
  const Factored f = potrf_on_driver_objects(h, handle, c);
  h.observe("cusolverDnSetStream with a handle whose context is gone", status_name(f.set_stream));
  h.observe("cusolverDnSpotrf with it", status_name(f.status));
  const bool ok = f.status == CUSOLVER_STATUS_SUCCESS;
  h.expect(ok ? wrong_elements(lower(f.seen), lower(c.l)) == 0 : f.seen == c.a, FindingKind::data_mismatch,
           ok ? "cusolverDnSpotrf succeeded: the matrix must hold the factor" : "cusolverDnSpotrf failed: the matrix must be untouched",
           {{"status", status_name(f.status)}, {"devInfo", f.info}});
  h.observe("cusolverDnDestroy of it", status_name(cusolverDnDestroy(handle)));
#endif
}

// ---- cuBLAS: the libraries family runs it on driver contexts; here a handle outlives its context.

CTXSHARE_CASE(library_contexts, cublas_handle_used_after_its_context_is_gone,
              {.claims = {"RT-RESET", "SEED-LIBRARY"},
               .source = "torch/cutorch#121; ginkgo-project/ginkgo#256; Cytnx-dev/Cytnx#1161 - cublas_v2.h: cublasSaxpy, "
                         "cublasDestroy; cuda.h: cuCtxDestroy; cuda_runtime_api.h: cudaDeviceReset (what becomes of a handle "
                         "is not said)",
               .verdict = Verdict::hazard, .needs = {.libraries = {"cublas"}}, .labels = {"real-world"},
               .avoid = "Recreate cuBLAS handles after cudaDeviceReset (cutorch does, for the device reset) and destroy "
                        "them before destroying their context.",
               .timeout_s = 30, .axes = {axis<ContextGone>()}}) {
  // Ginkgo found cudaDeviceReset corrupting its cuBLAS handles; cutorch recreates them after a reset.
  const ContextGone how = h.param<ContextGone>();
  const CUcontext ctx = doomed_context(h, how);
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));
  end_context(h, how, ctx);
  CUDA(cudaSetDevice(0));
  const auto x = small_integers(h, kDense, 100);
  const std::vector<float> zeros(kDense, 0.0f);
  const CUdeviceptr dx = device_copy(h, x.data(), kDense * 4), dy = device_copy(h, zeros.data(), kDense * 4);
  const float two = 2;
  const cublasStatus_t status = cublasSaxpy(handle, kDense, &two, reinterpret_cast<float*>(dx), 1, reinterpret_cast<float*>(dy), 1);
  h.observe("cublasSaxpy with a handle whose context is gone", status_name(status));
  h.observe_result("cudaDeviceSynchronize after it", cudaDeviceSynchronize());
  std::vector<float> seen(kDense), expected(zeros);
  CU(cuMemcpyDtoH(seen.data(), dy, kDense * 4));
  if (status == CUBLAS_STATUS_SUCCESS)
    for (int i = 0; i < kDense; ++i) expected[i] = 2 * x[i];
  h.expect(seen == expected, FindingKind::data_mismatch,
           status == CUBLAS_STATUS_SUCCESS ? "cublasSaxpy succeeded: y must hold 2x" : "cublasSaxpy failed: y must be untouched",
           {{"status", status_name(status)}});
  h.observe("cublasDestroy of it", status_name(cublasDestroy(handle)));
}

// ---- nvJitLink: NVRTC's LTO IR linked into a cubin, loaded through either API.

namespace {
[[maybe_unused]] constexpr const char* kLtoSource = R"(
extern "C" __device__ unsigned int lto_word(unsigned int seed, unsigned long long i) { return (seed ^ (unsigned int)(i * 2654435761u)) | 1u; }
extern "C" __global__ void lto_fill(unsigned int* out, unsigned int seed, unsigned long long n) {
  unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
  if (i < n) out[i] = lto_word(seed, i);
}
)";
CTXSHARE_AXIS(CubinLoader, cuModuleLoadData, cudaLibraryLoadData);

#if CTXSHARE_HAS_NVJITLINK
// NVRTC to LTO IR for device 0, then nvJitLink to a cubin.
std::string lto_cubin(Case& h) {
  int major = 0, minor = 0;
  CU(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, h.device(0)));
  CU(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, h.device(0)));
  const std::string sm = std::to_string(major) + std::to_string(minor);
  const std::string compile_arch = "--gpu-architecture=compute_" + sm, link_arch = "-arch=sm_" + sm;
  const char* compile_options[] = {compile_arch.c_str(), "-dlto"};
  nvrtcProgram program = nullptr;
  NVRTC(nvrtcCreateProgram(&program, kLtoSource, "lto_fill.cu", 0, nullptr, nullptr));
  NVRTC(nvrtcCompileProgram(program, 2, compile_options));
  std::size_t size = 0;
  NVRTC(nvrtcGetLTOIRSize(program, &size));
  std::string ltoir(size, '\0');
  NVRTC(nvrtcGetLTOIR(program, ltoir.data()));
  NVRTC(nvrtcDestroyProgram(&program));
  const char* link_options[] = {link_arch.c_str(), "-lto"};
  nvJitLinkHandle linker = nullptr;
  LIB(nvJitLinkCreate(&linker, 2, link_options));
  LIB(nvJitLinkAddData(linker, NVJITLINK_INPUT_LTOIR, ltoir.data(), ltoir.size(), "lto_fill"));
  LIB(nvJitLinkComplete(linker));
  LIB(nvJitLinkGetLinkedCubinSize(linker, &size));
  std::string cubin(size, '\0');
  LIB(nvJitLinkGetLinkedCubin(linker, cubin.data()));
  LIB(nvJitLinkDestroy(&linker));
  return cubin;
}
#endif
}  // namespace

CTXSHARE_CASE(library_contexts, nvjitlink_cubin_launches_through_either_api,
              {.claims = {"SEED-RTC", "LIB-NVJITLINK", "RT-TYPES"},
               .source = "NVIDIA/jitify#121; NVIDIA/numba-cuda#48; NVIDIA/cuvs#1405; eyalroz/cuda-api-wrappers#538 - "
                         "nvJitLink.h: nvJitLinkAddData, nvJitLinkGetLinkedCubin; nvrtc.h: nvrtcGetLTOIR; cuda.h: "
                         "cuModuleLoadData; cuda_runtime_api.h: cudaLibraryLoadData, cudaLibraryGetKernel, cudaLaunchKernel",
               .needs = {.libraries = {"nvrtc", "nvjitlink"}}, .labels = {"real-world"},
               .avoid = "Link with the nvJitLink of the toolkit the NVRTC came from, for the device's own sm, and load the "
                        "cubin with the context that will launch it current.",
               .timeout_s = 30, .axes = {axis<CubinLoader>()}}) {
#if CTXSHARE_HAS_NVJITLINK
  // jitify, numba-cuda and cuVS moved from the driver's cuLink* to nvJitLink; the cubin it makes
  // must load and run like NVRTC's, here in the primary context the runtime uses.
  CUDA(cudaSetDevice(0));
  const std::string cubin = lto_cubin(h);
  const std::size_t n = 1 << 16;
  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  std::uint32_t seed = h.random_words(1)[0];
  unsigned long long count = n;
  void* args[] = {&out, &seed, &count};
  if (h.param<CubinLoader>() == CubinLoader::cuModuleLoadData) {
    CUmodule module = nullptr;
    CU(cuModuleLoadData(&module, cubin.data()));
    h.own_module(module);
    CUfunction fill = nullptr;
    CU(cuModuleGetFunction(&fill, module, "lto_fill"));
    CU(cuLaunchKernel(fill, static_cast<unsigned>((n + 255) / 256), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  } else {
    cudaLibrary_t library = nullptr;
    CUDA(cudaLibraryLoadData(&library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
    h.defer("the runtime library", [library] { return cudaLibraryUnload(library); });
    cudaKernel_t fill = nullptr;
    CUDA(cudaLibraryGetKernel(&fill, library, "lto_fill"));
    CUDA(cudaLaunchKernel(reinterpret_cast<const void*>(fill), dim3(static_cast<unsigned>((n + 255) / 256)), dim3(256), args, 0,
                          nullptr));
  }
  // Held behind the kernel (after it, so that loading it lazily cannot wait on the gate): the
  // synchronize must wait for the gate, which opens 200 ms later, and so for the kernel before it.
  Gate gate(h);
  gate.hold(nullptr);
  gate.open_after(kSettle);
  CU(cuCtxSynchronize());
  gate.expect_waited(h, "cuCtxSynchronize after the launch");
  std::vector<std::uint32_t> seen(n), expected(n);
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(out), n * 4));
  for (std::size_t i = 0; i < n; ++i) expected[i] = (seed ^ static_cast<std::uint32_t>(i * 2654435761u)) | 1u;
  h.expect_same_words("a kernel linked by nvJitLink, read back through the driver", seen, expected);
#endif
}

}  // namespace ctxshare
