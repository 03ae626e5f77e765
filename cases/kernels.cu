#include "cases/kernels.cuh"

namespace ctxshare {

__global__ void fill_pattern(std::uint32_t* out, std::uint32_t seed, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = (seed ^ static_cast<std::uint32_t>(i * 2654435761u)) | 1u;
}

__global__ void add_value(std::uint32_t* data, std::uint32_t value, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) data[i] += value;
}

namespace {
__device__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
}  // namespace

__global__ void wait_for_gate(volatile std::uint32_t* gate, unsigned long long timeout_ns) {
  const unsigned long long start = global_ns();
  while (gate[0] == 0) {
    if (global_ns() - start > timeout_ns) {
      gate[1] = 2;
      return;
    }
  }
  gate[1] = 1;
}

}  // namespace ctxshare
