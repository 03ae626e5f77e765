// Included last by every source of the scheduling layer: the process that schedules cases must never
// initialize CUDA (fork after CUDA initialization is broken, and one case's state must not reach
// another), so no CUDA header may reach it. The build checks the link side (tests/CMakeLists.txt).
#pragma once

#if defined(CUDA_VERSION) || defined(CUDART_VERSION) || defined(__CUDA_RUNTIME_H__)
#error "a CUDA header reached the scheduling layer (harness/run): it must not touch CUDA"
#endif
