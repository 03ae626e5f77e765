// The CUDA side of `ctxshare bench`: the children __floor and __bench. Timed calls go through the raw entry points (driver) and the runtime's own
// functions, not the traced wrappers, so that the numbers are CUDA's and not ctxshare's.
#include "harness/reports/bench.h"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <functional>

#include "harness/cuda/driver_api.h"
#include "harness/reports/environment.h"
#include "harness/cuda/runtime_api.h"

namespace ctxshare {
namespace {

__global__ void empty_kernel() {}

// Spins for a number of clock cycles: long enough that overlap (or its absence) shows.
__global__ void spin_kernel(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0, double scale) {
  return std::chrono::duration<double>(Clock::now() - t0).count() * scale;
}

// Runs body `repetitions` times after one warm-up; each sample is body's own measurement.
nlohmann::json measure(int repetitions, const std::string& unit, const std::function<double()>& body) {
  body();
  std::vector<double> samples;
  for (int i = 0; i < repetitions; ++i) samples.push_back(body());
  return summarize(samples, unit);
}

#define RAW(fn) fn.raw()

// cuCtxCreate untraced, by whichever signature the toolkit's header names.
CUresult create_context_untraced(CUcontext* ctx, CUdevice dev) {
#if CUDA_VERSION >= 13000
  return RAW(cuCtxCreate)(ctx, nullptr, 0, dev);
#else
  return RAW(cuCtxCreate)(ctx, 0, dev);
#endif
}

}  // namespace

int floor_in_this_process() {
  auto t0 = Clock::now();
  const DriverInfo& drv = load_driver();  // dlopen, cuGetProcAddress for every function, cuInit(0)
  const double init_ms = since(t0, 1e3);
  if (!drv.initialized) return 2;
  CUdevice dev = 0;
  CUcontext primary = nullptr;
  t0 = Clock::now();
  if (RAW(cuDeviceGet)(&dev, 0) != CUDA_SUCCESS || RAW(cuDevicePrimaryCtxRetain)(&primary, dev) != CUDA_SUCCESS) return 3;
  const double primary_ms = since(t0, 1e3);
  RAW(cuCtxSetCurrent)(primary);
  RAW(cuCtxSynchronize)();
  RAW(cuCtxSetCurrent)(nullptr);
  RAW(cuDevicePrimaryCtxRelease)(dev);
  std::printf("{\"driver_init_ms\": %.4f, \"primary_retain_ms\": %.4f}\n", init_ms, primary_ms);
  return 0;
}

namespace {

// What every mixing benchmark runs in: device 0, its primary context retained by first_use.
struct Bench {
  int reps = 0;
  CUdevice dev = 0;
  CUcontext primary = nullptr;
};

// First use: the primary context, once per process; created contexts, every time.
nlohmann::json first_use(Bench& b) {
  nlohmann::json out;
  auto t0 = Clock::now();
  RAW(cuDevicePrimaryCtxRetain)(&b.primary, b.dev);
  out["primary context retain (first in the process), ms"] = summarize({since(t0, 1e3)}, "ms");
  RAW(cuCtxSetCurrent)(b.primary);
  out["cuCtxCreate + cuCtxDestroy, ms"] = measure(b.reps, "ms", [&] {
    const auto t = Clock::now();
    CUcontext c = nullptr;
    create_context_untraced(&c, b.dev);
    RAW(cuCtxDestroy)(c);
    RAW(cuCtxSetCurrent)(b.primary);
    return since(t, 1e3);
  });
  // A kernel's first launch in a new context loads its module there (lazily by default).
  std::vector<double> first, second;
  for (int i = 0; i < b.reps; ++i) {
    CUcontext c = nullptr;
    create_context_untraced(&c, b.dev);
    auto t = Clock::now();
    empty_kernel<<<1, 1>>>();
    ::cudaDeviceSynchronize();
    first.push_back(since(t, 1e3));
    t = Clock::now();
    empty_kernel<<<1, 1>>>();
    ::cudaDeviceSynchronize();
    second.push_back(since(t, 1e3));
    RAW(cuCtxDestroy)(c);
  }
  RAW(cuCtxSetCurrent)(b.primary);
  out["first launch + sync in a new context, ms"] = summarize(first, "ms");
  out["second launch + sync in it, ms"] = summarize(second, "ms");
  return out;
}

constexpr int kLaunches = 2000;

// Launch latency: host time to enqueue one empty kernel, by API, kLaunches launches a sample.
nlohmann::json launches(const Bench& b, cudaStream_t stream) {
  cudaFunction_t function = nullptr;
  ::cudaGetFuncBySymbol(&function, reinterpret_cast<const void*>(&empty_kernel));
  auto per_launch = [&](const std::function<void()>& launch) {
    return measure(b.reps, "us", [&] {
      const auto t = Clock::now();
      for (int i = 0; i < kLaunches; ++i) launch();
      const double us = since(t, 1e6) / kLaunches;
      ::cudaStreamSynchronize(stream);
      return us;
    });
  };
  nlohmann::json out;
  out["<<<>>>, us per launch"] = per_launch([&] { empty_kernel<<<1, 1, 0, stream>>>(); });
  out["cudaLaunchKernel, us per launch"] =
      per_launch([&] { ::cudaLaunchKernel(reinterpret_cast<const void*>(&empty_kernel), 1, 1, nullptr, 0, stream); });
  out["cuLaunchKernel (cudaGetFuncBySymbol handle), us per launch"] = per_launch([&] {
    RAW(cuLaunchKernel)(static_cast<CUfunction>(function), 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr);
  });
  out["cuCtxPushCurrent + <<<>>> + cuCtxPopCurrent, us per launch"] = per_launch([&] {
    CUcontext popped = nullptr;
    RAW(cuCtxPushCurrent)(b.primary);
    empty_kernel<<<1, 1, 0, stream>>>();
    RAW(cuCtxPopCurrent)(&popped);
  });
  return out;
}

constexpr int kSwitches = 10000;

// Context switches: kSwitches a sample, in ns each.
nlohmann::json switches(const Bench& b, CUcontext ctx_a, CUcontext ctx_b) {
  auto per_switch = [&](const std::function<void(int)>& step) {
    return measure(b.reps, "ns", [&] {
      const auto t = Clock::now();
      for (int i = 0; i < kSwitches; ++i) step(i);
      return since(t, 1e9) / kSwitches;
    });
  };
  nlohmann::json out;
  out["cuCtxSetCurrent between two contexts, ns"] = per_switch([&](int i) { RAW(cuCtxSetCurrent)(i % 2 ? ctx_a : ctx_b); });
  out["cuCtxPushCurrent + cuCtxPopCurrent, ns"] = per_switch([&](int) {
    CUcontext popped = nullptr;
    RAW(cuCtxPushCurrent)(ctx_a);
    RAW(cuCtxPopCurrent)(&popped);
  });
  out["cuCtxSetCurrent(created) + cudaSetDevice(0) undoing it, ns"] = per_switch([&](int) {
    RAW(cuCtxSetCurrent)(ctx_a);
    ::cudaSetDevice(0);
  });
  return out;
}

// The spin kernels' size: two of them fit side by side on the device.
struct Spin {
  int sms = 0, clock_khz = 0;
  long long cycles = 0;
  unsigned blocks = 1;
};

// 2x10 spin kernels on two streams, of one context or of two; ms a sample.
nlohmann::json pair_of_streams(const Bench& b, const Spin& spin, CUcontext ca, CUcontext cb) {
  CUstream sa = nullptr, sb = nullptr;
  RAW(cuCtxSetCurrent)(ca);
  RAW(cuStreamCreate)(&sa, CU_STREAM_NON_BLOCKING);
  RAW(cuCtxSetCurrent)(cb);
  RAW(cuStreamCreate)(&sb, CU_STREAM_NON_BLOCKING);
  auto sample = measure(b.reps, "ms", [&] {
    const auto t = Clock::now();
    for (int i = 0; i < 10; ++i) {
      RAW(cuCtxSetCurrent)(ca);
      spin_kernel<<<spin.blocks, 64, 0, sa>>>(spin.cycles);
      RAW(cuCtxSetCurrent)(cb);
      spin_kernel<<<spin.blocks, 64, 0, sb>>>(spin.cycles);
    }
    RAW(cuStreamSynchronize)(sa);
    RAW(cuStreamSynchronize)(sb);
    return since(t, 1e3);
  });
  RAW(cuStreamDestroy)(sa);
  RAW(cuStreamDestroy)(sb);
  return sample;
}

// The headline: two streams of one context overlap; two contexts of one device time-slice.
nlohmann::json contexts(const Bench& b, CUcontext ctx_a, CUcontext ctx_b, Spin* spin) {
  RAW(cuDeviceGetAttribute)(&spin->sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, b.dev);
  RAW(cuDeviceGetAttribute)(&spin->clock_khz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, b.dev);
  spin->cycles = static_cast<long long>(spin->clock_khz) * 2;  // about 2 ms at the nominal clock
  spin->blocks = static_cast<unsigned>(std::max(1, spin->sms / 2));
  nlohmann::json out;
  out["2x10 kernels of half the SMs, two streams of one context, ms"] = pair_of_streams(b, *spin, ctx_a, ctx_a);
  out["the same split across two contexts, ms"] = pair_of_streams(b, *spin, ctx_a, ctx_b);
  out["one kernel alone, ms"] = measure(b.reps, "ms", [&] {
    RAW(cuCtxSetCurrent)(ctx_a);
    const auto t = Clock::now();
    spin_kernel<<<spin->blocks, 64>>>(spin->cycles);
    ::cudaDeviceSynchronize();
    return since(t, 1e3);
  });
  return out;
}

}  // namespace

nlohmann::json mixing_benchmarks_in_this_process(int reps) {
  const DriverInfo& drv = load_driver();
  if (!drv.initialized) return {{"error", drv.problem}};
  nlohmann::json out;
  Bench b{reps};
  RAW(cuDeviceGet)(&b.dev, 0);
  out["first_use"] = first_use(b);
  cudaStream_t stream = nullptr;
  ::cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  out["launch"] = launches(b, stream);
  CUcontext a = nullptr, c = nullptr;
  create_context_untraced(&a, b.dev);
  create_context_untraced(&c, b.dev);
  out["switch"] = switches(b, a, c);
  Spin spin;
  out["contexts"] = contexts(b, a, c, &spin);
  RAW(cuCtxSetCurrent)(nullptr);
  RAW(cuCtxDestroy)(a);
  RAW(cuCtxDestroy)(c);
  ::cudaStreamDestroy(stream);
  out["settings"] = {{"repetitions", reps},
                     {"launches_per_sample", kLaunches},
                     {"switches_per_sample", kSwitches},
                     {"spin_cycles", spin.cycles},
                     {"spin_blocks", spin.blocks},
                     {"sm_count", spin.sms},
                     {"nominal_clock_khz", spin.clock_khz}};
  out["clocks"] = gpu_clocks();
  return out;
}

}  // namespace ctxshare
