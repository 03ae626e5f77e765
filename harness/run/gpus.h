// What the scheduler knows of the GPUs without initializing CUDA: NVML (which makes no context) and
// CUDA_VISIBLE_DEVICES. Cases that need one device are spread over the GPUs, one visible to each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ctxshare {

// The installed driver's version ("580.159.04") and its GPU count, from NVML; empty and -1 without it.
std::string nvml_driver_version();
int nvml_gpu_count();

// The GPUs runs spread cases over, as entries of CUDA_VISIBLE_DEVICES: the caller's own
// CUDA_VISIBLE_DEVICES entries when it is set, else "0".."n-1" for the n GPUs NVML counts.
std::vector<std::string> schedulable_gpus();

// -j when none is given: four cases per GPU (beyond that, driver start-up serializes and more jobs
// only wait: docs/performance.md), never more than the cores; the cores where there is no GPU.
int default_jobs(std::size_t gpus);

}  // namespace ctxshare
