// memory: allocations of every kind made by one API and used by the other: copies, memsets and
// kernels across, with data read back through the other API (fresh random words, never zeros).
// Sources: cuda.h and cuda_runtime_api.h for each allocator; the runtime's Interactions with the
// CUDA Driver API for arrays, texture and surface objects; both for memory pools.
#include <cstdlib>
#include <memory>
#include <string_view>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {

constexpr const char* kAllocators = "cuda.h and cuda_runtime_api.h: the allocator each variant names";

CUcontext pool_allocation_context(void* p) {
  CUcontext ctx = nullptr;
  CU(cuPointerGetAttribute(&ctx, CU_POINTER_ATTRIBUTE_CONTEXT, reinterpret_cast<CUdeviceptr>(p)));
  return ctx;
}

struct Allocation {
  std::uint32_t* device = nullptr;  // where kernels and copies address it
  std::size_t bytes = 0;
  bool by_runtime = false;
};

// One allocator per row: it allocates through its API and hands the memory to the harness. Host
// memory is mapped, and its device address is asked of the *other* API: one more crossing.
using Allocate = Allocation (*)(Case&, std::size_t);
struct Allocator {
  const char* name;
  Allocate allocate;
  cudaMemoryType type;  // what cudaPointerGetAttributes must say of it
};

Allocation by_cudaMalloc(Case& h, std::size_t bytes) {
  Allocation a{nullptr, bytes, true};
  CUDA(cudaMalloc(&a.device, bytes));
  h.own_device_memory(a.device, bytes, Owner::runtime);
  return a;
}

Allocation by_cuMemAlloc(Case& h, std::size_t bytes) {
  CUdeviceptr p = 0;
  CU(cuMemAlloc(&p, bytes));
  h.own_device_memory(p, bytes, Owner::driver);
  return {reinterpret_cast<std::uint32_t*>(p), bytes, false};
}

Allocation by_cudaMallocPitch(Case& h, std::size_t bytes) {
  Allocation a{nullptr, 0, true};
  std::size_t pitch = 0;
  CUDA(cudaMallocPitch(&a.device, &pitch, 4000, bytes / 4000));
  a.bytes = pitch * (bytes / 4000);
  h.own_device_memory(a.device, a.bytes, Owner::runtime);
  return a;
}

Allocation by_cuMemAllocPitch(Case& h, std::size_t bytes) {
  CUdeviceptr p = 0;
  std::size_t pitch = 0;
  CU(cuMemAllocPitch(&p, &pitch, 4000, bytes / 4000, 4));
  h.own_device_memory(p, pitch * (bytes / 4000), Owner::driver);
  return {reinterpret_cast<std::uint32_t*>(p), pitch * (bytes / 4000), false};
}

Allocation by_cudaHostAlloc(Case& h, std::size_t bytes) {
  void* host = nullptr;
  CUDA(cudaHostAlloc(&host, bytes, cudaHostAllocMapped));
  h.own_host_memory(host, Owner::runtime);
  CUdeviceptr p = 0;
  CU(cuMemHostGetDevicePointer(&p, host, 0));
  return {reinterpret_cast<std::uint32_t*>(p), bytes, true};
}

Allocation by_cuMemHostAlloc(Case& h, std::size_t bytes) {
  void* host = nullptr;
  CU(cuMemHostAlloc(&host, bytes, CU_MEMHOSTALLOC_DEVICEMAP));
  h.own_host_memory(host, Owner::driver);
  Allocation a{nullptr, bytes, false};
  CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&a.device), host, 0));
  return a;
}

Allocation by_cudaHostRegister(Case& h, std::size_t bytes) {
  void* host = std::aligned_alloc(4096, bytes);
  CUDA(cudaHostRegister(host, bytes, cudaHostRegisterMapped));
  h.defer("host memory registered by cudaHostRegister", [host] {
    const cudaError_t r = cudaHostUnregister(host);
    std::free(host);
    return r;
  });
  CUdeviceptr p = 0;
  CU(cuMemHostGetDevicePointer(&p, host, 0));
  return {reinterpret_cast<std::uint32_t*>(p), bytes, true};
}

Allocation by_cuMemHostRegister(Case& h, std::size_t bytes) {
  void* host = std::aligned_alloc(4096, bytes);
  CU(cuMemHostRegister(host, bytes, CU_MEMHOSTREGISTER_DEVICEMAP));
  h.defer("host memory registered by cuMemHostRegister", [host] {
    const CUresult r = cuMemHostUnregister(host);
    std::free(host);
    return r;
  });
  Allocation a{nullptr, bytes, false};
  CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&a.device), host, 0));
  return a;
}

Allocation by_cudaMallocManaged(Case& h, std::size_t bytes) {
  Allocation a{nullptr, bytes, true};
  CUDA(cudaMallocManaged(&a.device, bytes));
  h.own_device_memory(a.device, bytes, Owner::runtime);
  return a;
}

Allocation by_cuMemAllocManaged(Case& h, std::size_t bytes) {
  CUdeviceptr p = 0;
  CU(cuMemAllocManaged(&p, bytes, CU_MEM_ATTACH_GLOBAL));
  h.own_device_memory(p, bytes, Owner::driver);
  return {reinterpret_cast<std::uint32_t*>(p), bytes, false};
}

// Which context a pool allocation reports is the business of its own case below.
Allocation by_cudaMallocAsync(Case& h, std::size_t bytes) {
  Allocation a{nullptr, bytes, true};
  CUDA(cudaMallocAsync(&a.device, bytes, nullptr));
  CUDA(cudaStreamSynchronize(nullptr));
  h.own_device_memory_reported_in(a.device, bytes, Owner::runtime, pool_allocation_context(a.device));
  return a;
}

Allocation by_cuMemAllocAsync(Case& h, std::size_t bytes) {
  CUdeviceptr p = 0;
  CU(cuMemAllocAsync(&p, bytes, nullptr));
  // "The allocation must not be accessed until the allocation operation completes": the synchronize
  // waits for it, and for the gate held behind it, which opens 200 ms later (a synchronize that
  // returned at once finds it still held).
  Gate gate(h);
  gate.hold(nullptr);
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(nullptr));
  gate.expect_waited(h, "cuStreamSynchronize after cuMemAllocAsync");
  h.own_device_memory_reported_in(reinterpret_cast<void*>(p), bytes, Owner::driver,
                                  pool_allocation_context(reinterpret_cast<void*>(p)));
  return {reinterpret_cast<std::uint32_t*>(p), bytes, false};
}

Allocation by_cuMemCreate(Case& h, std::size_t bytes) {
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location = {CU_MEM_LOCATION_TYPE_DEVICE, h.device(0)};
  std::size_t granularity = 0;
  CU(cuMemGetAllocationGranularity(&granularity, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
  const std::size_t size = (bytes + granularity - 1) / granularity * granularity;
  CUmemGenericAllocationHandle handle{};
  CU(cuMemCreate(&handle, size, &prop, 0));
  CUdeviceptr p = 0;
  CU(cuMemAddressReserve(&p, size, 0, 0, 0));
  CU(cuMemMap(p, size, 0, handle, 0));
  h.defer("a cuMemCreate allocation and its mapping", [p, size, handle] {
    CUresult r = cuMemUnmap(p, size);
    if (r == CUDA_SUCCESS) r = cuMemAddressFree(p, size);
    if (r == CUDA_SUCCESS) r = cuMemRelease(handle);
    return r;
  });
  CUmemAccessDesc access{};
  access.location = prop.location;
  access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  CU(cuMemSetAccess(p, size, &access, 1));
  return {reinterpret_cast<std::uint32_t*>(p), size, false};
}

constexpr Allocator kAllocatorsOfEveryKind[] = {
    {"cudaMalloc", by_cudaMalloc, cudaMemoryTypeDevice},
    {"cuMemAlloc", by_cuMemAlloc, cudaMemoryTypeDevice},
    {"cudaMallocPitch", by_cudaMallocPitch, cudaMemoryTypeDevice},
    {"cuMemAllocPitch", by_cuMemAllocPitch, cudaMemoryTypeDevice},
    {"cudaHostAlloc", by_cudaHostAlloc, cudaMemoryTypeHost},
    {"cuMemHostAlloc", by_cuMemHostAlloc, cudaMemoryTypeHost},
    {"cudaHostRegister", by_cudaHostRegister, cudaMemoryTypeHost},
    {"cuMemHostRegister", by_cuMemHostRegister, cudaMemoryTypeHost},
    {"cudaMallocManaged", by_cudaMallocManaged, cudaMemoryTypeManaged},
    {"cuMemAllocManaged", by_cuMemAllocManaged, cudaMemoryTypeManaged},
    {"cudaMallocAsync", by_cudaMallocAsync, cudaMemoryTypeDevice},
    {"cuMemAllocAsync", by_cuMemAllocAsync, cudaMemoryTypeDevice},
    {"cuMemCreate", by_cuMemCreate, cudaMemoryTypeDevice},
};
// The allocators whose pointer attributes both APIs answer for the address they return.
constexpr Allocator kAllocatorsWithPointerAttributes[] = {
    {"cudaMalloc", by_cudaMalloc, cudaMemoryTypeDevice},
    {"cuMemAlloc", by_cuMemAlloc, cudaMemoryTypeDevice},
    {"cudaHostAlloc", by_cudaHostAlloc, cudaMemoryTypeHost},
    {"cuMemHostAlloc", by_cuMemHostAlloc, cudaMemoryTypeHost},
    {"cudaMallocManaged", by_cudaMallocManaged, cudaMemoryTypeManaged},
    {"cuMemAllocManaged", by_cuMemAllocManaged, cudaMemoryTypeManaged},
};

CTXSHARE_AXIS(MemsetCrossing, cudaMemset_on_cuMemAlloc, cuMemsetD32_on_cudaMalloc);
CTXSHARE_AXIS(PoolAllocator, cudaMallocAsync, cuMemAllocAsync);
CTXSHARE_AXIS(PoolContext, primary, created);

}  // namespace

CTXSHARE_CASE(memory, allocation_written_and_launched_on_by_the_other_api,
              {.claims = {"SEED-MIX", "RT-PRIMARY", "SEED-RUNTIME-ON-DRIVER"},
               .source = kAllocators,
               .axes = {table_axis<kAllocatorsOfEveryKind>("allocator")}}) {
  CUDA(cudaSetDevice(0));
  const Allocator& allocator = h.row<kAllocatorsOfEveryKind>();
  const Allocation a = allocator.allocate(h, 4000 * 256);
  const std::size_t n = a.bytes / sizeof(std::uint32_t);
  const auto words = h.random_words(n);
  // Written and launched on through the other API, read back through the allocator's own.
  if (a.by_runtime) {
    CU(cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(a.device), words.data(), a.bytes));
    cudaFunction_t kernel = nullptr;
    CUDA(cudaGetFuncBySymbol(&kernel, reinterpret_cast<const void*>(&add_value)));
    std::uint32_t* data = a.device;
    std::uint32_t value = 11;
    std::size_t count = n;
    void* args[] = {&data, &value, &count};
    CU(cuLaunchKernel(static_cast<CUfunction>(kernel), blocks_for(n), 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
    CU(cuCtxSynchronize());
  } else {
    CUDA(cudaMemcpy(a.device, words.data(), a.bytes, cudaMemcpyDefault));
    add_value<<<blocks_for(n), 256>>>(a.device, 11, n);
    CUDA(cudaGetLastError());
    CUDA(cudaDeviceSynchronize());
  }
  std::vector<std::uint32_t> seen(n);
  if (a.by_runtime) CUDA(cudaMemcpy(seen.data(), a.device, a.bytes, cudaMemcpyDefault));
  else CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(a.device), a.bytes));
  h.expect_same_words(std::string(allocator.name) + " memory: the other API's copy and kernel, its own API's copy", seen,
                      plus(words, 11));
}

CTXSHARE_CASE(memory, memset_by_the_other_api,
              {.claims = {"SEED-MIX"}, .source = kAllocators, .axes = {axis<MemsetCrossing>()}}) {
  CUDA(cudaSetDevice(0));
  const std::size_t n = 1 << 16, bytes = n * sizeof(std::uint32_t);
  const std::uint32_t word = h.random_words(1)[0];
  std::vector<std::uint32_t> seen(n);
  if (h.param<MemsetCrossing>() == MemsetCrossing::cudaMemset_on_cuMemAlloc) {
    CUdeviceptr p = 0;
    CU(cuMemAlloc(&p, bytes));
    h.own_device_memory(p, bytes, Owner::driver);
    CUDA(cudaMemset(reinterpret_cast<void*>(p), static_cast<int>(word & 0xff), bytes));
    CU(cuMemcpyDtoH(seen.data(), p, bytes));
    h.expect_same_words("cudaMemset of cuMemAlloc memory", seen, std::vector<std::uint32_t>(n, (word & 0xff) * 0x01010101u));
  } else {
    void* p = nullptr;
    CUDA(cudaMalloc(&p, bytes));
    h.own_device_memory(p, bytes, Owner::runtime);
    CU(cuMemsetD32(reinterpret_cast<CUdeviceptr>(p), word, n));
    CUDA(cudaMemcpy(seen.data(), p, bytes, cudaMemcpyDeviceToHost));
    h.expect_same_words("cuMemsetD32 of cudaMalloc memory", seen, std::vector<std::uint32_t>(n, word));
  }
}

CTXSHARE_CASE(memory, pointer_attributes_agree_between_the_apis,
              {.claims = {"RT-PTRATTR", "RT-PRIMARY"}, .source = "cuda.h: cuPointerGetAttribute; cuda_runtime_api.h: cudaPointerGetAttributes",
               .axes = {table_axis<kAllocatorsWithPointerAttributes>("allocator")}}) {
  CUDA(cudaSetDevice(0));
  const Allocator& allocator = h.row<kAllocatorsWithPointerAttributes>();
  const Allocation a = allocator.allocate(h, 4000 * 16);
  const bool host = allocator.type == cudaMemoryTypeHost;
  const bool managed = allocator.type == cudaMemoryTypeManaged;
  // The host allocators are asked about the host address, which is the device address under UVA.
  const auto ptr = reinterpret_cast<CUdeviceptr>(a.device);
  unsigned int memory_type = 0, is_managed = 0;
  int ordinal = -1;
  CU(cuPointerGetAttribute(&memory_type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, ptr));
  CU(cuPointerGetAttribute(&is_managed, CU_POINTER_ATTRIBUTE_IS_MANAGED, ptr));
  CU(cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, ptr));
  cudaPointerAttributes attributes{};
  CUDA(cudaPointerGetAttributes(&attributes, a.device));
  const cudaMemoryType expected = managed ? cudaMemoryTypeManaged : host ? cudaMemoryTypeHost : cudaMemoryTypeDevice;
  h.expect_eq("cudaPointerAttributes.type", static_cast<int>(attributes.type), static_cast<int>(expected));
  h.expect_eq("CU_POINTER_ATTRIBUTE_MEMORY_TYPE", memory_type,
              static_cast<unsigned>(host ? CU_MEMORYTYPE_HOST : CU_MEMORYTYPE_DEVICE));
  h.expect_eq("CU_POINTER_ATTRIBUTE_IS_MANAGED", is_managed, managed ? 1u : 0u);
  h.expect_eq("device ordinal, driver against runtime", ordinal, attributes.device, FindingKind::wrong_device);
}

CTXSHARE_CASE(memory, runtime_array_is_a_driver_array,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h, Interactions between CUarray and cudaArray_t"}) {
  const std::size_t width = 256, height = 64, n = width * height;
  cudaChannelFormatDesc format = cudaCreateChannelDesc<unsigned int>();
  cudaArray_t array = nullptr;
  CUDA(cudaMallocArray(&array, &format, width, height));
  h.defer("a cudaMallocArray array", [array] { return cudaFreeArray(array); });
  CUDA_ARRAY_DESCRIPTOR described{};
  CU(cuArrayGetDescriptor(&described, reinterpret_cast<CUarray>(array)));
  h.expect_eq("cuArrayGetDescriptor width of a runtime array", described.Width, width);
  h.expect_eq("cuArrayGetDescriptor format", static_cast<int>(described.Format), static_cast<int>(CU_AD_FORMAT_UNSIGNED_INT32));

  const auto words = h.random_words(n);
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_HOST;
  copy.srcHost = words.data();
  copy.srcPitch = width * sizeof(std::uint32_t);
  copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.dstArray = reinterpret_cast<CUarray>(array);
  copy.WidthInBytes = width * sizeof(std::uint32_t);
  copy.Height = height;
  CU(cuMemcpy2D(&copy));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy2DFromArray(seen.data(), width * sizeof(std::uint32_t), array, 0, 0, width * sizeof(std::uint32_t),
                             height, cudaMemcpyDeviceToHost));
  h.expect_same_words("runtime array written by cuMemcpy2D, read by cudaMemcpy2DFromArray", seen, words);
}

namespace {
__global__ void read_texture(cudaTextureObject_t texture, std::uint32_t* out, unsigned width, unsigned height) {
  const unsigned x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x < width && y < height) out[y * width + x] = tex2D<unsigned int>(texture, x, y);
}
__global__ void write_surface(cudaSurfaceObject_t surface, std::uint32_t seed, unsigned width, unsigned height) {
  const unsigned x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  if (x >= width || y >= height) return;
  const std::uint32_t value = (seed ^ (y * width + x) * 2654435761u) | 1u;
#if defined(__clang__) && !defined(__NVCC__)
  // clang has no surf2Dwrite: the instruction nvcc's surf2Dwrite emits, written out (x in bytes).
  asm volatile("sust.b.2d.b32.trap [%0, {%1, %2}], {%3};" ::"l"(surface), "r"(x * 4), "r"(y), "r"(value) : "memory");
#else
  surf2Dwrite(value, surface, x * 4, y);
#endif
}
}  // namespace

CTXSHARE_CASE(memory, driver_texture_object_read_by_a_runtime_kernel,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h, Interactions between CUtexObject and cudaTextureObject_t"}) {
  CUDA(cudaSetDevice(0));
  const unsigned width = 128, height = 32;
  const std::size_t n = width * height;
  cudaChannelFormatDesc format = cudaCreateChannelDesc<unsigned int>();
  cudaArray_t array = nullptr;
  CUDA(cudaMallocArray(&array, &format, width, height));
  h.defer("a cudaMallocArray array", [array] { return cudaFreeArray(array); });
  const auto words = h.random_words(n);
  CUDA(cudaMemcpy2DToArray(array, 0, 0, words.data(), width * 4, width * 4, height, cudaMemcpyHostToDevice));

  CUDA_RESOURCE_DESC resource{};
  resource.resType = CU_RESOURCE_TYPE_ARRAY;
  resource.res.array.hArray = reinterpret_cast<CUarray>(array);
  CUDA_TEXTURE_DESC sampling{};
  sampling.addressMode[0] = sampling.addressMode[1] = CU_TR_ADDRESS_MODE_CLAMP;
  sampling.filterMode = CU_TR_FILTER_MODE_POINT;
  sampling.flags = CU_TRSF_READ_AS_INTEGER;
  CUtexObject texture = 0;
  CU(cuTexObjectCreate(&texture, &resource, &sampling, nullptr));
  h.defer("a cuTexObjectCreate texture", [texture] { return cuTexObjectDestroy(texture); });

  std::uint32_t* out = nullptr;
  CUDA(cudaMalloc(&out, n * 4));
  h.own_device_memory(out, n * 4, Owner::runtime);
  read_texture<<<dim3((width + 127) / 128, height), 128>>>(static_cast<cudaTextureObject_t>(texture), out, width, height);
  CUDA(cudaGetLastError());
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), out, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("texels read through a driver texture object cast to cudaTextureObject_t", seen, words);
}

CTXSHARE_CASE(memory, runtime_surface_object_written_then_read_by_the_driver,
              {.claims = {"RT-TYPES"}, .source = "cuda_runtime_api.h, Interactions between CUsurfObject and cudaSurfaceObject_t"}) {
  CUDA(cudaSetDevice(0));
  const unsigned width = 128, height = 32;
  const std::size_t n = width * height;
  cudaChannelFormatDesc format = cudaCreateChannelDesc<unsigned int>();
  cudaArray_t array = nullptr;
  CUDA(cudaMallocArray(&array, &format, width, height, cudaArraySurfaceLoadStore));
  h.defer("a cudaMallocArray array", [array] { return cudaFreeArray(array); });
  cudaResourceDesc resource{};
  resource.resType = cudaResourceTypeArray;
  resource.res.array.array = array;
  cudaSurfaceObject_t surface = 0;
  CUDA(cudaCreateSurfaceObject(&surface, &resource));
  h.defer("a cudaCreateSurfaceObject surface", [surface] { return cuSurfObjectDestroy(static_cast<CUsurfObject>(surface)); });
  const std::uint32_t seed = h.random_words(1)[0];
  write_surface<<<dim3((width + 127) / 128, height), 128>>>(surface, seed, width, height);
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n);
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  copy.srcArray = reinterpret_cast<CUarray>(array);
  copy.dstMemoryType = CU_MEMORYTYPE_HOST;
  copy.dstHost = seen.data();
  copy.dstPitch = width * 4;
  copy.WidthInBytes = width * 4;
  copy.Height = height;
  CU(cuMemcpy2D(&copy));
  h.expect_same_words("surface writes of a runtime kernel read by cuMemcpy2D (destroyed by cuSurfObjectDestroy)", seen,
                      pattern(seed, n));
}

CTXSHARE_CASE(memory, default_memory_pool_is_one_pool_for_both_apis,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuDeviceGetDefaultMemPool; cuda_runtime_api.h: cudaDeviceGetDefaultMemPool"}) {
  CUDA(cudaSetDevice(0));
  cudaMemPool_t by_runtime = nullptr;
  CUmemoryPool by_driver = nullptr;
  CUDA(cudaDeviceGetDefaultMemPool(&by_runtime, 0));
  CU(cuDeviceGetDefaultMemPool(&by_driver, h.device(0)));
  h.expect_eq("default memory pool, runtime against driver", static_cast<void*>(by_runtime), static_cast<void*>(by_driver));
  cudaMemPool_t current = nullptr;
  CUDA(cudaDeviceGetMemPool(&current, 0));
  h.expect_eq("current memory pool of device 0", static_cast<void*>(current), static_cast<void*>(by_driver));
}

CTXSHARE_CASE(memory, driver_memory_pool_serves_cudaMallocFromPoolAsync,
              {.claims = {"RT-TYPES", "SEED-MIX"}, .source = "cuda.h: cuMemPoolCreate; cuda_runtime_api.h: cudaMallocFromPoolAsync"}) {
  CUDA(cudaSetDevice(0));
  CUmemPoolProps props{};
  props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  props.location = {CU_MEM_LOCATION_TYPE_DEVICE, h.device(0)};
  CUmemoryPool pool = nullptr;
  CU(cuMemPoolCreate(&pool, &props));
  h.defer("a cuMemPoolCreate pool", [pool] { return cuMemPoolDestroy(pool); });
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreate(&stream));
  h.own_stream(stream, Owner::runtime);

  const std::size_t n = 1 << 18, bytes = n * 4;
  std::uint32_t* p = nullptr;
  CUDA(cudaMallocFromPoolAsync(reinterpret_cast<void**>(&p), bytes, static_cast<cudaMemPool_t>(pool), stream));
  CUDA(cudaStreamSynchronize(stream));
  CUmemoryPool from = nullptr;
  CU(cuPointerGetAttribute(&from, CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE, reinterpret_cast<CUdeviceptr>(p)));
  h.expect_eq("CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE of the runtime's allocation", from, pool);
  const auto words = h.random_words(n);
  CU(cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(p), words.data(), bytes, stream));
  // Held from here until 200 ms after the free is queued; the read-back goes to page-locked memory,
  // so that the copy is asynchronous and the closing cuStreamSynchronize is what waits for it all.
  std::uint32_t* pinned = pinned_words(h, n);
  Gate gate(h);
  gate.hold(stream, add_value);
  add_value<<<blocks_for(n), 256, 0, stream>>>(p, 5, n);
  CUDA(cudaGetLastError());
  CUDA(cudaMemcpyAsync(pinned, p, bytes, cudaMemcpyDeviceToHost, stream));
  CU(cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(p), stream));
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the stream that freed the allocation");
  const std::vector<std::uint32_t> seen(pinned, pinned + n);
  h.expect_same_words("memory of a driver pool, allocated and freed across the APIs", seen, plus(words, 5));
}

CTXSHARE_CASE(memory, stream_ordered_allocation_reports_its_context,
              {.claims = {"RT-PRIMARY", "RT-NONPRIMARY"},
               .source = "cuda.h: cuPointerGetAttribute, CU_POINTER_ATTRIBUTE_CONTEXT (\"the CUcontext in which ptr was allocated\")",
               .axes = {axis<PoolAllocator>(), axis<PoolContext>()}}) {
  CUcontext ctx = nullptr;
  if (h.param<PoolContext>() == PoolContext::created) {
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  } else {
    CUDA(cudaSetDevice(0));
    CU(cuCtxGetCurrent(&ctx));
  }
  CUdeviceptr p = 0;
  if (h.param<PoolAllocator>() == PoolAllocator::cudaMallocAsync) CUDA(cudaMallocAsync(reinterpret_cast<void**>(&p), 4096, nullptr));
  else CU(cuMemAllocAsync(&p, 4096, nullptr));
  CU(cuStreamSynchronize(nullptr));
  CUcontext owner = nullptr;
  CU(cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, p));
  h.own_device_memory_reported_in(reinterpret_cast<void*>(p), 4096, Owner::driver, owner);
  h.expect_eq("CU_POINTER_ATTRIBUTE_CONTEXT of a stream-ordered allocation", owner, ctx, FindingKind::wrong_context);
  CUmemoryPool pool = nullptr;
  CU(cuPointerGetAttribute(&pool, CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE, p));
  CUmemoryPool device_pool = nullptr;
  CU(cuDeviceGetMemPool(&device_pool, h.device(0)));
  h.expect_eq("CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE is the device's current pool", static_cast<void*>(pool),
              static_cast<void*>(device_pool));
}

CTXSHARE_CASE(memory, memory_info_agrees_between_the_apis,
              {.claims = {"RT-PRIMARY"}, .source = "cuda.h: cuMemGetInfo; cuda_runtime_api.h: cudaMemGetInfo",
               .exclusive = true}) {  // free memory is the device's: another case allocating beside it would move it
  CUDA(cudaSetDevice(0));
  std::size_t runtime_free = 0, runtime_total = 0, driver_free = 0, driver_total = 0;
  CUDA(cudaMemGetInfo(&runtime_free, &runtime_total));
  CU(cuMemGetInfo(&driver_free, &driver_total));
  h.expect_eq("total memory, runtime against driver", runtime_total, driver_total);
  // Both report the same device: 1 GiB taken through one API shows in the other's free memory.
  constexpr std::size_t kTaken = std::size_t{1} << 30;
  CUdeviceptr taken = 0;
  CU(cuMemAlloc(&taken, kTaken));
  h.own_device_memory(taken, kTaken, Owner::driver);
  std::size_t runtime_free_after = 0;
  CUDA(cudaMemGetInfo(&runtime_free_after, &runtime_total));
  h.expect(runtime_free_after + kTaken <= runtime_free, FindingKind::mismatch,
           "cudaMemGetInfo's free memory dropped by a cuMemAlloc of 1 GiB",
           {{"before", runtime_free}, {"after", runtime_free_after}});
  void* runtime_taken = nullptr;
  CUDA(cudaMalloc(&runtime_taken, kTaken));
  h.own_device_memory(runtime_taken, kTaken, Owner::runtime);
  std::size_t driver_free_after = 0;
  CU(cuMemGetInfo(&driver_free_after, &driver_total));
  h.expect(driver_free_after + 2 * kTaken <= driver_free, FindingKind::mismatch,
           "cuMemGetInfo's free memory dropped by both 1 GiB allocations",
           {{"before", driver_free}, {"after", driver_free_after}});
}

}  // namespace ctxshare
