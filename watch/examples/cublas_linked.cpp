// A program linked with -lcublas (its cuBLAS calls bound by the dynamic linker, not found with dlsym),
// run under `ctxshare watch` on one H100 (docs/watch.md, "Programs"), built there with
//   g++ -std=c++17 -I/usr/local/cuda/include cublas_linked.cpp -o linked -L/usr/local/cuda/lib64 \
//       -L/usr/local/cuda/lib64/stubs -lcublas -lcuda -Wl,-rpath,/usr/local/cuda/lib64
// `linked in-order` destroys the cuBLAS handle, then its context; `linked destroy-first` the other way.
#include <cublas_v2.h>
#include <cuda.h>
#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
  const bool destroy_first = argc > 1 && std::strcmp(argv[1], "destroy-first") == 0;
  cuInit(0);
  CUdevice dev; cuDeviceGet(&dev, 0);
  CUcontext ctx; cuCtxCreate(&ctx, nullptr, 0, dev);
  cublasHandle_t h; std::printf("cublasCreate: %d\n", cublasCreate(&h));
  if (destroy_first) std::printf("cuCtxDestroy: %d\n", cuCtxDestroy(ctx));
  std::printf("cublasDestroy: %d\n", cublasDestroy(h));
  if (!destroy_first) std::printf("cuCtxDestroy: %d\n", cuCtxDestroy(ctx));
  return 0;
}
