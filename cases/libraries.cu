// libraries: a runtime-based library (cuBLAS) inside a driver-API program, the pattern of PyCUDA
// with scikits.cuda that the seed thread vouches for: on the program's contexts and streams, with
// results checked against the CPU.
// Sources: shared/seed (SEED-LIBRARY); cuBLAS: cublasCreate, cublasSetStream, cublasSgemm.
#include "cases/support.cuh"
#include "harness/case/case.h"
#include "harness/cuda/libraries.h"

namespace ctxshare {

namespace {
constexpr const char* kSeed = "the seed thread (PyCUDA and cuBLAS); cublas_v2.h: cublasCreate, cublasSetStream, cublasSgemm";
constexpr int kN = 64;

// Small integers keep every product and sum exact in float: the CPU and the GPU must agree exactly.
std::vector<float> small_integers(Case& h) {
  std::vector<float> m(kN * kN);
  const auto words = h.random_words(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(words[i] % 8);
  return m;
}

std::vector<float> cpu_gemm(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> c(kN * kN, 0);
  for (int col = 0; col < kN; ++col)
    for (int row = 0; row < kN; ++row)
      for (int k = 0; k < kN; ++k) c[col * kN + row] += a[k * kN + row] * b[col * kN + k];
  return c;
}

// C = A * B with cuBLAS on driver memory and a driver stream, in whatever context is current.
void gemm_on_driver_objects(Case& h, cublasHandle_t handle, const char* what) {
  const auto a = small_integers(h), b = small_integers(h);
  const std::size_t bytes = kN * kN * sizeof(float);
  CUdeviceptr da = 0, db = 0, dc = 0;
  for (CUdeviceptr* p : {&da, &db, &dc}) {
    CU(cuMemAlloc(p, bytes));
    h.own_device_memory(*p, bytes, Owner::driver);
  }
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  CU(cuMemcpyHtoD(da, a.data(), bytes));
  CU(cuMemcpyHtoD(db, b.data(), bytes));
  CUBLAS(cublasSetStream(handle, stream));
  const float one = 1, zero = 0;
  CUBLAS(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, kN, kN, kN, &one, reinterpret_cast<float*>(da), kN,
                     reinterpret_cast<float*>(db), kN, &zero, reinterpret_cast<float*>(dc), kN));
  std::vector<float> c(kN * kN);
  CU(cuMemcpyDtoHAsync(c.data(), dc, bytes, stream));
  CU(cuStreamSynchronize(stream));
  const auto expected = cpu_gemm(a, b);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < c.size(); ++i) wrong += c[i] != expected[i];
  h.expect(wrong == 0, FindingKind::data_mismatch, what, {{"wrong_elements", wrong}, {"elements", c.size()}});
}

void own_handle(Case& h, cublasHandle_t handle) {
  h.defer("a cuBLAS handle", [handle] { return cublasDestroy(handle) == CUBLAS_STATUS_SUCCESS ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN; });
}

}  // namespace

CTXSHARE_CASE(libraries, cublas_inside_a_driver_api_program,
              {.claims = {"SEED-LIBRARY", "SEED-MIX", "RT-NONPRIMARY"}, .source = kSeed,
               .needs = {.libraries = {"cublas"}}, .axes = {axis<HostContext>()}}) {
  CUcontext ctx = nullptr;
  const bool created = h.param<HostContext>() == HostContext::created_context;
  if (created) {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  } else {
    CU(cuDevicePrimaryCtxRetain(&ctx, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxPushCurrent(ctx));
  }
  h.name_context(ctx, created ? "created context" : "retained primary");
  const Ledger before = h.ledger();
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));
  own_handle(h, handle);
  h.expect_ledger_unchanged(before, "cublasCreate");
  gemm_on_driver_objects(h, handle, "cuBLAS SGEMM on driver memory and a driver stream, against the CPU");
  h.expect_ledger_unchanged(before, "cublasSetStream and cublasSgemm");
  cudaStream_t reported = nullptr;
  CUBLAS(cublasGetStream(handle, &reported));
  CUcontext stream_ctx = nullptr;
  CU(cuStreamGetCtx(reported, &stream_ctx));
  h.expect_eq("context of the stream cuBLAS reports", stream_ctx, ctx, FindingKind::wrong_context);
}

CTXSHARE_CASE(libraries, cublasCreate_with_no_context_current,
              {.claims = {"SEED-LIBRARY", "RT-IMPLICIT"}, .source = kSeed, .needs = {.libraries = {"cublas"}}}) {
  // cuBLAS is a runtime-based library: its first call that needs a context, on a thread with none,
  // selects, initializes and makes current the primary context of device 0 (RT-IMPLICIT).
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));
  own_handle(h, handle);
  CUcontext current = nullptr, primary = nullptr;
  CU(cuCtxGetCurrent(&current));
  CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
  h.own_primary(h.device(0));
  h.expect_eq("the context current after cublasCreate", current, primary, FindingKind::wrong_context);
  h.expect_eq("primary context of device 0 active after cublasCreate", h.ledger().primaries.at(0).active, 1);
}

CTXSHARE_CASE(libraries, cublas_handle_made_in_one_context_used_in_another,
              {.claims = {"SEED-LIBRARY", "RT-CURRENT"}, .source = kSeed, .verdict = Verdict::hazard,
               .needs = {.libraries = {"cublas"}}}) {
  // Whether a handle may cross contexts is undocumented; what is recorded. But whatever cuBLAS
  // answers must be true: success means the right result, an error means nothing was written.
  CUcontext first = nullptr, second = nullptr;
  CU(cuCtxCreate(&first, nullptr, 0, h.device(0)));
  h.own_context(first);
  cublasHandle_t handle = nullptr;
  CUBLAS(cublasCreate(&handle));
  own_handle(h, handle);
  CU(cuCtxCreate(&second, nullptr, 0, h.device(0)));  // current now; the handle was made under first
  h.own_context(second);
  const auto a = small_integers(h);
  const std::size_t bytes = kN * sizeof(float);
  CUdeviceptr x = 0, y = 0;
  CU(cuMemAlloc(&x, bytes));
  h.own_device_memory(x, bytes, Owner::driver);
  CU(cuMemAlloc(&y, bytes));
  h.own_device_memory(y, bytes, Owner::driver);
  CU(cuMemcpyHtoD(x, a.data(), bytes));
  CU(cuMemsetD32(y, 0, kN));
  const float two = 2;
  const cublasStatus_t status =
      cublasSaxpy(handle, kN, &two, reinterpret_cast<float*>(x), 1, reinterpret_cast<float*>(y), 1);
  h.observe("cublasSaxpy status with another context current", status_name(status));
  CU(cuCtxSynchronize());
  std::vector<float> seen(kN), expected(kN, 0.0f);
  CU(cuMemcpyDtoH(seen.data(), y, bytes));
  if (status == CUBLAS_STATUS_SUCCESS)
    for (int i = 0; i < kN; ++i) expected[i] = 2 * a[i];
  h.expect(seen == expected, FindingKind::data_mismatch,
           status == CUBLAS_STATUS_SUCCESS ? "cublasSaxpy succeeded: y must hold 2x" : "cublasSaxpy failed: y must be untouched",
           {{"status", status_name(status)}, {"y[1]", seen[1]}, {"expected y[1]", expected[1]}});
}

}  // namespace ctxshare
