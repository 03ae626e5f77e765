// graphs: stream capture that mixes the two APIs, and graphs built by one API instantiated, updated
// and launched by the other. The headers make cudaGraph_t/CUgraph and cudaGraphExec_t/CUgraphExec
// the same types (claims.md: RT-TYPES asks that each such pair be checked).
// Sources: cuda.h: cuStreamBeginCapture, cuGraphAddKernelNode, cuGraphExecUpdate; cuda_runtime_api.h:
// cudaStreamBeginCapture, cudaGraphInstantiate, cudaGraphLaunch.
#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kGraphs = "cuda.h and cuda_runtime_api.h: Graph Management, Stream Capture";

CUfunction function_of(const void* kernel) {
  cudaFunction_t f = nullptr;
  CUDA(cudaGetFuncBySymbol(&f, kernel));
  return static_cast<CUfunction>(f);
}

void own_graph(Case& h, CUgraph graph) {
  h.defer("a graph", [graph] { return cuGraphDestroy(graph); });
}
void own_graph_exec(Case& h, cudaGraphExec_t exec) {
  h.defer("an executable graph", [exec] { return cudaGraphExecDestroy(exec); });
}
}  // namespace

CTXSHARE_CASE(graphs, stream_capture_mixes_driver_and_runtime_work,
              {.claims = {"RT-TYPES", "SEED-MIX"}, .source = kGraphs}) {
  CUDA(cudaSetDevice(0));
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  const std::size_t n = 1 << 16;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  const std::uint32_t word = h.random_words(1)[0];
  std::uint32_t two = 2;
  std::size_t count = n;
  void* args[] = {&p, &two, &count};

  CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  CU(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(p), word, n, stream));
  add_value<<<blocks_for(n), 256, 0, stream>>>(p, 1, n);
  CUDA(cudaGetLastError());
  CU(cuLaunchKernel(function_of(reinterpret_cast<const void*>(&add_value)), blocks_for(n), 1, 1, 256, 1, 1, 0, stream,
                    args, nullptr));
  CUgraph graph = nullptr;
  CU(cuStreamEndCapture(stream, &graph));
  own_graph(h, graph);

  std::size_t nodes = 0;
  CUDA(cudaGraphGetNodes(graph, nullptr, &nodes));
  h.expect_eq("nodes captured from a driver memset, a runtime launch and a driver launch", nodes, std::size_t{3});
  CUgraphExec exec = nullptr;
  CU(cuGraphInstantiateWithFlags(&exec, graph, 0));
  own_graph_exec(h, exec);
  CUDA(cudaGraphLaunch(exec, stream));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, n * 4, cudaMemcpyDeviceToHost, stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("the mixed graph's result", seen, std::vector<std::uint32_t>(n, word + 3));
}

CTXSHARE_CASE(graphs, capture_status_agrees_between_the_apis,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuStreamIsCapturing; cuda_runtime_api.h: cudaStreamIsCapturing"}) {
  CUDA(cudaSetDevice(0));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  CU(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
  CUstreamCaptureStatus by_driver{};
  cudaStreamCaptureStatus by_runtime{};
  CU(cuStreamIsCapturing(stream, &by_driver));
  CUDA(cudaStreamIsCapturing(stream, &by_runtime));
  h.expect_eq("capture status by the driver", static_cast<int>(by_driver), static_cast<int>(CU_STREAM_CAPTURE_STATUS_ACTIVE));
  h.expect_eq("capture status by the runtime", static_cast<int>(by_runtime), static_cast<int>(cudaStreamCaptureStatusActive));
  cudaGraph_t graph = nullptr;
  CUDA(cudaStreamEndCapture(stream, &graph));
  own_graph(h, graph);
  CU(cuStreamIsCapturing(stream, &by_driver));
  h.expect_eq("capture status after cudaStreamEndCapture", static_cast<int>(by_driver),
              static_cast<int>(CU_STREAM_CAPTURE_STATUS_NONE));
}

CTXSHARE_CASE(graphs, driver_built_graph_runs_through_the_runtime,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuGraphAddKernelNode; cuda_runtime_api.h: cudaGraphInstantiate"}) {
  CUDA(cudaSetDevice(0));
  const std::size_t n = 1 << 16;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  std::uint32_t seed = h.random_words(1)[0];
  std::size_t count = n;
  void* args[] = {&p, &seed, &count};
  CUgraph graph = nullptr;
  CU(cuGraphCreate(&graph, 0));
  own_graph(h, graph);
  CUDA_KERNEL_NODE_PARAMS params{};
  params.func = function_of(reinterpret_cast<const void*>(&fill_pattern));
  params.gridDimX = blocks_for(n);
  params.gridDimY = params.gridDimZ = 1;
  params.blockDimX = 256;
  params.blockDimY = params.blockDimZ = 1;
  params.kernelParams = args;
  CUgraphNode node = nullptr;
  CU(cuGraphAddKernelNode(&node, graph, nullptr, 0, &params));
  cudaGraphExec_t exec = nullptr;
  CUDA(cudaGraphInstantiate(&exec, graph, 0));
  own_graph_exec(h, exec);
  CUDA(cudaGraphLaunch(exec, nullptr));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpy(seen.data(), p, n * 4, cudaMemcpyDeviceToHost));
  h.expect_same_words("a driver-built kernel node launched by cudaGraphLaunch", seen, pattern(seed, n));
}

CTXSHARE_CASE(graphs, graph_captured_in_a_created_context,
              {.claims = {"RT-NONPRIMARY", "RT-TYPES"}, .source = kGraphs}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  const std::size_t n = 1 << 16;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  const std::uint32_t seed = h.random_words(1)[0];
  CU(cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_GLOBAL));
  fill_pattern<<<blocks_for(n), 256, 0, stream>>>(p, seed, n);
  CUDA(cudaGetLastError());
  cudaGraph_t graph = nullptr;
  CUDA(cudaStreamEndCapture(stream, &graph));
  own_graph(h, graph);
  CUgraphExec exec = nullptr;
  CU(cuGraphInstantiateWithFlags(&exec, graph, 0));
  own_graph_exec(h, exec);
  std::uint32_t* seen = pinned_words(h, n);  // pinned, so the copy is truly asynchronous
  // The launch and the copy queue behind a held kernel: only the synchronize can see them done.
  Gate gate(h);
  gate.hold(stream, fill_pattern);
  CU(cuGraphLaunch(exec, stream));
  CU(cuMemcpyDtoHAsync(seen, reinterpret_cast<CUdeviceptr>(p), n * 4, stream));
  gate.open_after(kSettle);
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the stream the graph was launched on");
  h.expect_same_words("a graph captured and launched in a created context", std::vector<std::uint32_t>(seen, seen + n),
                      pattern(seed, n));
}

CTXSHARE_CASE(graphs, runtime_graph_exec_updated_by_the_driver,
              {.claims = {"RT-TYPES"}, .source = "cuda.h: cuGraphExecUpdate"}) {
  CUDA(cudaSetDevice(0));
  cudaStream_t stream = nullptr;
  CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  h.own_stream(stream, Owner::runtime);
  const std::size_t n = 1 << 14;
  std::uint32_t* p = nullptr;
  CUDA(cudaMalloc(&p, n * 4));
  h.own_device_memory(p, n * 4, Owner::runtime);
  const auto seeds = h.random_words(2);
  cudaGraph_t graphs[2] = {};
  for (int i = 0; i < 2; ++i) {
    CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    fill_pattern<<<blocks_for(n), 256, 0, stream>>>(p, seeds[i], n);
    CUDA(cudaGetLastError());
    CUDA(cudaStreamEndCapture(stream, &graphs[i]));
    own_graph(h, graphs[i]);
  }
  cudaGraphExec_t exec = nullptr;
  CUDA(cudaGraphInstantiate(&exec, graphs[0], 0));
  own_graph_exec(h, exec);
  CUgraphExecUpdateResultInfo info{};
  CU(cuGraphExecUpdate(exec, graphs[1], &info));
  h.expect_eq("cuGraphExecUpdate result of a runtime exec with a runtime graph", static_cast<int>(info.result),
              static_cast<int>(CU_GRAPH_EXEC_UPDATE_SUCCESS));
  CUDA(cudaGraphLaunch(exec, stream));
  std::vector<std::uint32_t> seen(n);
  CUDA(cudaMemcpyAsync(seen.data(), p, n * 4, cudaMemcpyDeviceToHost, stream));
  CUDA(cudaStreamSynchronize(stream));
  h.expect_same_words("the updated executable graph ran the second graph's kernel", seen, pattern(seeds[1], n));
}

}  // namespace ctxshare
