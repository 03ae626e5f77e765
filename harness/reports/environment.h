// The facts a vendor asks for in a bug report: driver, runtime, toolkit, GPUs, OS, and the variables
// that change CUDA's behaviour. Read by name from a fixed list, so nothing else from the environment
// (tokens, user data) can reach a result file.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ctxshare {

// "ctxshare VERSION (VARIANT)", for --version: here, with the other things that name the build, so
// that only the files that include the generated build_info.h differ between build variants.
std::string version_line();

// Host and build facts; needs no CUDA, so the scheduling process may call it.
nlohmann::json host_environment();

// Host facts and, from a child process (`__env`), the CUDA ones: for the scheduling process, which
// must not initialize CUDA. A failed probe is recorded as cuda.error.
nlohmann::json environment_through_child();

// Why the CUDA facts of environment_through_child() say no GPU can be used, in the probe's own words
// ("no driver: libcuda.so.1: cannot open shared object file: ..."), or empty when one can.
std::string no_gpu_reason(const nlohmann::json& environment);

// Driver, runtime and device facts; initializes CUDA, so only a child process calls it.
nlohmann::json cuda_environment();

// Device 0's current SM and memory clocks in MHz, from NVML; null where NVML is missing.
nlohmann::json gpu_clocks();

}  // namespace ctxshare
