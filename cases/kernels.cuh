// Kernels the cases launch through either API, and the host side of what they compute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctxshare {

// Writes a pattern that depends on every index and on a seed, so no stale buffer can pass for it.
__global__ void fill_pattern(std::uint32_t* out, std::uint32_t seed, std::size_t n);
// Adds value to each word: proves a kernel read what the other API wrote.
__global__ void add_value(std::uint32_t* data, std::uint32_t value, std::size_t n);
// A gate for proving order without a race: spins (launch it <<<1, 1>>>) until the host writes a
// nonzero gate[0] in mapped host memory, so work queued behind it stays pending until the host says
// so. Gives up after timeout_ns, so a gate never opened cannot hang a case. Writes gate[1]: 1 when it
// saw the gate open, 2 when it gave up.
__global__ void wait_for_gate(volatile std::uint32_t* gate, unsigned long long timeout_ns);

inline std::uint32_t pattern_word(std::uint32_t seed, std::size_t i) {
  return (seed ^ static_cast<std::uint32_t>(i * 2654435761u)) | 1u;
}
inline std::vector<std::uint32_t> pattern(std::uint32_t seed, std::size_t n) {
  std::vector<std::uint32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = pattern_word(seed, i);
  return v;
}
inline std::vector<std::uint32_t> plus(std::vector<std::uint32_t> v, std::uint32_t value) {
  for (auto& w : v) w += value;
  return v;
}
inline unsigned blocks_for(std::size_t n) { return static_cast<unsigned>((n + 255) / 256); }

}  // namespace ctxshare
