#!/usr/bin/env python3
"""PyCUDA plus cuBLAS through ctypes, the way scikits.cuda (scikit-cuda) does it: the seed's setup.

PyCUDA makes the context (a created context, cuCtxCreate), allocates gpuarrays and a stream; cuBLAS,
loaded with ctypes, binds to whatever context is current when cublasCreate_v2 runs. The ctypes
signatures follow /usr/local/cuda/include/cublas_api.h (CUDA 13.0):

  cublasStatus_t cublasCreate_v2(cublasHandle_t* handle);
  cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
  cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
  cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                int m, int n, int k, const float* alpha, const float* A, int lda,
                                const float* B, int ldb, const float* beta, float* C, int ldc);

(scikit-cuda's skcuda/cublas.py declares the pointer arguments c_void_p and passes
ctypes.byref(ctypes.c_float(alpha)) and int(gpuarray.gpudata); the same ABI.)

  pycuda_cublas_ctypes.py [MODE]

MODE
  ok             (default) pycuda.autoinit, as skcuda's own docstrings do: create the handle, set the
                 PyCUDA stream, Sgemm on gpuarray pointers, check exactly against numpy, cublasDestroy_v2,
                 then autoinit's atexit pops the context. No hazard is performed.
  destroy-first  what the seed thread warns about: an explicit make_context; after the Sgemm the program
                 frees its arrays and stream, pops and destroys the PyCUDA context (ctx.detach(), which is
                 cuCtxDestroy), and only then calls cublasDestroy_v2, whose handle lives in that context.
  pop-first      the same, but the context is only popped (still alive, not current) when
                 cublasDestroy_v2 runs; it is destroyed afterwards.

Exit status: 0 when the Sgemm result equals numpy's exactly (small integers), 1 otherwise or when a
cuBLAS call before the teardown fails. The status of the misplaced cublasDestroy_v2 is printed, not
judged: that call is the hazard on purpose.
"""

import ctypes
import os
import sys

import numpy as np

CUBLAS_OP_N = 0  # cublasOperation_t, cublas_api.h


def load_cublas():
    """libcublas.so.13 from the toolkit, else by soname (the loader path), as skcuda tries names in turn."""
    names = []
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root:
            names.append(os.path.join(root, "lib64", "libcublas.so.13"))
    names.append("libcublas.so.13")
    errors = []
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        print(f"loaded {name}")
        return lib
    raise OSError("cuBLAS not found:\n  " + "\n  ".join(errors))


def declare(lib):
    h = ctypes.c_void_p  # cublasHandle_t (struct cublasContext*)
    s = ctypes.c_void_p  # cudaStream_t (CUstream)
    fp = ctypes.POINTER(ctypes.c_float)
    lib.cublasCreate_v2.restype = ctypes.c_int
    lib.cublasCreate_v2.argtypes = [ctypes.POINTER(h)]
    lib.cublasDestroy_v2.restype = ctypes.c_int
    lib.cublasDestroy_v2.argtypes = [h]
    lib.cublasSetStream_v2.restype = ctypes.c_int
    lib.cublasSetStream_v2.argtypes = [h, s]
    lib.cublasSgemm_v2.restype = ctypes.c_int
    lib.cublasSgemm_v2.argtypes = [h, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                   fp, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                   fp, ctypes.c_void_p, ctypes.c_int]


def check(what, status):
    if status != 0:
        raise RuntimeError(f"{what} returned cublasStatus_t {status}")


def gemm(lib, handle, stream, m, n, k):
    """C = A @ B for row-major float32 A (m x k), B (k x n), through column-major cuBLAS: C^T = B^T A^T."""
    import pycuda.gpuarray as gpuarray

    rng = np.random.default_rng(19)
    a = rng.integers(-4, 5, size=(m, k)).astype(np.float32)
    b = rng.integers(-4, 5, size=(k, n)).astype(np.float32)
    a_gpu = gpuarray.to_gpu(a)
    b_gpu = gpuarray.to_gpu(b)
    c_gpu = gpuarray.zeros((m, n), np.float32)
    alpha = ctypes.c_float(1.0)
    beta = ctypes.c_float(0.0)
    check("cublasSetStream_v2", lib.cublasSetStream_v2(handle, stream.handle))
    check("cublasSgemm_v2", lib.cublasSgemm_v2(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k,
                                               ctypes.byref(alpha), int(b_gpu.gpudata), n,
                                               int(a_gpu.gpudata), k, ctypes.byref(beta),
                                               int(c_gpu.gpudata), n))
    stream.synchronize()
    c = c_gpu.get()
    want = a.astype(np.int64) @ b.astype(np.int64)
    ok = np.array_equal(c.astype(np.int64), want)
    print(f"Sgemm {m}x{k} @ {k}x{n}: {'equal to numpy' if ok else 'DIFFERS from numpy'}"
          f" (max |diff| {np.abs(c.astype(np.int64) - want).max()})")
    return ok, (a_gpu, b_gpu, c_gpu)


def main(argv):
    mode = argv[1] if len(argv) > 1 else "ok"
    if mode not in ("ok", "destroy-first", "pop-first"):
        print(__doc__, file=sys.stderr)
        return 2
    lib = load_cublas()
    declare(lib)
    import pycuda.driver as cuda

    if mode == "ok":
        import pycuda.autoinit  # noqa: F401  (cuInit, make_default_context; atexit pops it)

        ctx = None
    else:
        cuda.init()
        ctx = cuda.Device(0).make_context()
    print(f"mode {mode}: PyCUDA {('autoinit' if ctx is None else 'make_context')} context "
          f"{cuda.Context.get_current().handle:#x} on {cuda.Context.get_device().name()}")

    stream = cuda.Stream()
    handle = ctypes.c_void_p()
    check("cublasCreate_v2", lib.cublasCreate_v2(ctypes.byref(handle)))
    try:
        ok, arrays = gemm(lib, handle, stream, 96, 80, 64)
    except RuntimeError as e:
        print(e)
        return 1

    if mode == "ok":
        check("cublasDestroy_v2", lib.cublasDestroy_v2(handle))
        print("cublasDestroy_v2 while the PyCUDA context is current: 0")
        return 0 if ok else 1

    # The misordered teardown: PyCUDA's side first (arrays, stream, context), cuBLAS's handle last.
    for arr in arrays:
        arr.gpudata.free()
    del arrays, stream
    ctx.pop()
    if mode == "destroy-first":
        ctx.detach()
        print("PyCUDA context popped and destroyed (cuCtxDestroy) before cublasDestroy_v2")
        status = lib.cublasDestroy_v2(handle)
        print(f"cublasDestroy_v2 after its context was destroyed: {status}")
    else:
        print("PyCUDA context popped (alive, not current) before cublasDestroy_v2")
        status = lib.cublasDestroy_v2(handle)
        print(f"cublasDestroy_v2 with no context current: {status}")
        ctx.detach()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
