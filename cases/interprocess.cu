// interprocess: memory and event handles passed between processes, exported through one API (from a
// created context or the primary) and opened in a peer process through the same API or the other;
// what a peer sees after the exporter exits or resets; memory shared as a POSIX file descriptor.
// Every case is "real-world": the patterns come from the public reports its source names (UCX's
// cuda_ipc transport, PyTorch's IPC events, Mooncake, DALI, NCCL-style VMM exchanges).
// The second process is a peer (harness/case/peer.h): this binary started afresh, never forked with
// CUDA in use (cases/fork.cu); what it did comes back as observations and trace marked "peer".
// Sources: cuda_runtime_api.h: cudaIpcGetMemHandle, cudaIpcOpenMemHandle, cudaIpcCloseMemHandle,
// cudaIpcGetEventHandle, cudaIpcOpenEventHandle; cuda.h: cuIpcGetMemHandle, cuIpcOpenMemHandle,
// cuIpcCloseMemHandle, cuIpcGetEventHandle, cuIpcOpenEventHandle, cuMemExportToShareableHandle,
// cuMemImportFromShareableHandle.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "cases/kernels.cuh"
#include "cases/support.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {

constexpr const char* kIpcDocs =
    "cuda_runtime_api.h: cudaIpcGetMemHandle, cudaIpcOpenMemHandle, cudaIpcCloseMemHandle; cuda.h: cuIpcGetMemHandle, "
    "cuIpcOpenMemHandle, cuIpcCloseMemHandle";
constexpr const char* kIpcEventDocs =
    "cuda_runtime_api.h: cudaIpcGetEventHandle, cudaIpcOpenEventHandle (after opening, record, synchronize, stream wait "
    "and query may be used in either process); cuda.h: cuIpcGetEventHandle, cuIpcOpenEventHandle";
constexpr std::size_t kWords = 1 << 16;

CTXSHARE_AXIS(Api, runtime, driver);
CTXSHARE_AXIS(ExporterContext, primary, created_context);

// What the case tells a peer: a 64-byte handle and how to use it. Plain bytes, as a program would
// send them over a socket.
struct Order {
  char handle[64] = {};
  std::uint32_t words = kWords;
  std::uint32_t driver = 0;  // 1: the peer opens through the driver, 0: through the runtime
  std::uint32_t strict = 1;  // 1: the peer's calls must succeed; 0: it records what they return
};
template <class Handle>
std::string order_bytes(const Handle& handle, Api opener, bool strict) {
  static_assert(sizeof(Handle) == 64);
  Order order;
  std::memcpy(order.handle, &handle, 64);
  order.driver = opener == Api::driver;
  order.strict = strict;
  return std::string(reinterpret_cast<const char*>(&order), sizeof order);
}
Order read_order(const std::string& bytes) {
  Order order;
  std::memcpy(&order, bytes.data(), std::min(bytes.size(), sizeof order));
  return order;
}
std::string words_bytes(const std::vector<std::uint32_t>& words) {
  return std::string(reinterpret_cast<const char*>(words.data()), words.size() * 4);
}
std::vector<std::uint32_t> bytes_words(const std::string& bytes) {
  std::vector<std::uint32_t> words(bytes.size() / 4);
  std::memcpy(words.data(), bytes.data(), words.size() * 4);
  return words;
}

// In a peer: a call that must answer `expected` (success unless said) when the case says so, and is
// only recorded otherwise.
template <class Result>
bool peer_call(Case& h, const Order& order, const char* what, Result r, Result expected = Result{}) {
  if (order.strict) {
    h.expect_eq(what, describe(r), describe(expected), r == Result{} ? FindingKind::mismatch : FindingKind::unexpected_error);
    if constexpr (std::is_same_v<Result, cudaError_t>)
      if (r != cudaSuccess) cudaGetLastError();  // judged here, not left behind
  } else {
    h.observe_result(what, r);
  }
  return r == expected;
}

// The peer ran to its end and exited 0 (what it found comes back as its own findings).
void expect_clean(Case& h, const PeerEnd& end) {
  h.expect(end.finished && end.exit_code == 0,
           end.signal != 0 ? FindingKind::crash : end.hung ? FindingKind::timeout : FindingKind::early_exit,
           "the peer process ran to its end", {{"ended", end.words}});
}

// The exporter's device memory, in the primary context (made current as the API does it) or a
// created one, allocated through `api` and holding `words`.
CUdeviceptr exported_memory(Case& h, Api api, ExporterContext where, const std::vector<std::uint32_t>& words) {
  if (where == ExporterContext::created_context) {
    CUcontext ctx = nullptr;
    CU(cuCtxCreate(&ctx, nullptr, 0, h.device(0)));
    h.own_context(ctx);
  } else if (api == Api::runtime) {
    CUDA(cudaSetDevice(0));
  } else {
    CUcontext primary = nullptr;
    CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxSetCurrent(primary));
  }
  CUdeviceptr p = 0;
  if (api == Api::runtime) {
    void* q = nullptr;
    CUDA(cudaMalloc(&q, words.size() * 4));
    h.own_device_memory(q, words.size() * 4, Owner::runtime);
    p = reinterpret_cast<CUdeviceptr>(q);
  } else {
    CU(cuMemAlloc(&p, words.size() * 4));
    h.own_device_memory(p, words.size() * 4, Owner::driver);
  }
  CU(cuMemcpyHtoD(p, words.data(), words.size() * 4));
  return p;
}

// The memory's IPC handle, through `api`.
std::string memory_handle(Case& h, Api api, CUdeviceptr p, Api opener, bool strict) {
  if (api == Api::runtime) {
    cudaIpcMemHandle_t handle{};
    CUDA(cudaIpcGetMemHandle(&handle, reinterpret_cast<void*>(p)));
    return order_bytes(handle, opener, strict);
  }
  CUipcMemHandle handle{};
  CU(cuIpcGetMemHandle(&handle, p));
  return order_bytes(handle, opener, strict);
}

// In a peer: opens the case's handle through the API it names, in the primary context.
bool open_memory(Case& h, const Order& order, CUdeviceptr* p) {
  if (order.driver) {
    CUcontext primary = nullptr;
    CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxSetCurrent(primary));
    CUipcMemHandle handle{};
    std::memcpy(&handle, order.handle, 64);
    return peer_call(h, order, "cuIpcOpenMemHandle", cuIpcOpenMemHandle(p, handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS));
  }
  cudaIpcMemHandle_t handle{};
  std::memcpy(&handle, order.handle, 64);
  void* q = nullptr;
  const bool opened = peer_call(h, order, "cudaIpcOpenMemHandle", cudaIpcOpenMemHandle(&q, handle, cudaIpcMemLazyEnablePeerAccess));
  *p = reinterpret_cast<CUdeviceptr>(q);
  return opened;
}
void close_memory(Case& h, const Order& order, CUdeviceptr p) {
  if (order.driver) peer_call(h, order, "cuIpcCloseMemHandle", cuIpcCloseMemHandle(p));
  else peer_call(h, order, "cudaIpcCloseMemHandle", cudaIpcCloseMemHandle(reinterpret_cast<void*>(p)));
}
// In a peer: the words at p, read through the API other than the one that opened it.
std::vector<std::uint32_t> read_words(Case& h, const Order& order, CUdeviceptr p, const char* what) {
  std::vector<std::uint32_t> words(order.words);
  if (order.driver) peer_call(h, order, what, cudaMemcpy(words.data(), reinterpret_cast<void*>(p), words.size() * 4, cudaMemcpyDeviceToHost));
  else peer_call(h, order, what, cuMemcpyDtoH(words.data(), p, words.size() * 4));
  return words;
}

}  // namespace

// Opens the case's memory, tells it what it read there, writes each word plus one back, and closes it.
CTXSHARE_PEER(interprocess, read_and_increment) {
  const Order order = read_order(h.peer_input());
  CUdeviceptr p = 0;
  if (!open_memory(h, order, &p)) return h.tell_case("");
  auto words = read_words(h, order, p, "reading the mapping");
  h.tell_case(words_bytes(words));
  for (auto& w : words) ++w;
  peer_call(h, order, "writing through the mapping", cuMemcpyHtoD(p, words.data(), words.size() * 4));
  close_memory(h, order, p);
}

namespace {
// Shares `words` with a peer that opens them through `opener`: what it read (nullopt: it could not
// open them), what the exporter's memory then holds, and how the peer ended.
struct Shared {
  std::optional<std::vector<std::uint32_t>> read;
  std::vector<std::uint32_t> after;
  PeerEnd end;
};
Shared share_memory(Case& h, Api exporter, ExporterContext where, Api opener, bool strict, const std::vector<std::uint32_t>& words) {
  const CUdeviceptr p = exported_memory(h, exporter, where, words);
  Peer peer(h, "read_and_increment", memory_handle(h, exporter, p, opener, strict));
  Shared s;
  if (const auto reply = peer.receive(); reply && !reply->empty()) s.read = bytes_words(*reply);
  s.end = peer.wait();
  s.after.resize(words.size());
  CU(cuMemcpyDtoH(s.after.data(), p, words.size() * 4));
  return s;
}
}  // namespace

CTXSHARE_CASE(interprocess, memory_handle_opens_in_another_process,
              {.claims = {"IPC-MEM", "RT-NONPRIMARY"},
               .source = std::string("NVIDIA/DALI#4817; openucx/ucx#4431; cupy/cupy#8245 - ") + kIpcDocs,
               .labels = {"real-world"},
               .avoid = "Open the handle in a process of its own that has initialized CUDA on the device, and keep the "
                        "exporting allocation alive until every importer has closed it.",
               .timeout_s = 30, .axes = {axis<Api>(), axis<ExporterContext>()}}) {
  // The documented round trip through one API: the peer reads the exporter's words and writes them
  // back plus one, which the exporter must see in its own allocation.
  const Api api = h.param<Api>();
  const auto words = h.random_words(kWords);
  const Shared s = share_memory(h, api, h.param<ExporterContext>(), api, true, words);
  expect_clean(h, s.end);
  h.expect(s.read.has_value(), FindingKind::unexpected_error, "the peer opened the handle");
  if (s.read) h.expect_same_words("what the peer read through its mapping", *s.read, words);
  h.expect_same_words("the exporter's memory after the peer wrote through its mapping", s.after, plus(words, 1));
}

namespace {
CTXSHARE_AXIS(CrossedApis, cudaIpcGetMemHandle_to_cuIpcOpenMemHandle, cuIpcGetMemHandle_to_cudaIpcOpenMemHandle);
}  // namespace

CTXSHARE_CASE(interprocess, memory_handle_opened_through_the_other_api,
              {.claims = {"IPC-MEM", "RT-TYPES"},
               .source = std::string("openucx/ucx#10618; openucx/ucx#11603; NVIDIA/DALI#4817 - ") + kIpcDocs +
                         " (cudaIpcMemHandle_t and CUipcMemHandle are both 64 opaque bytes; that they interchange is not said)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Open a handle through the API that made it (UCX uses the driver on both sides), or keep both "
                        "sides on one API.",
               .timeout_s = 30, .axes = {axis<CrossedApis>(), axis<ExporterContext>()}}) {
  const bool runtime_export = h.param<CrossedApis>() == CrossedApis::cudaIpcGetMemHandle_to_cuIpcOpenMemHandle;
  const auto words = h.random_words(kWords);
  const Shared s = share_memory(h, runtime_export ? Api::runtime : Api::driver, h.param<ExporterContext>(),
                                runtime_export ? Api::driver : Api::runtime, false, words);
  h.observe("the peer opened the handle", s.read.has_value());
  // Whatever it answered must be true: an opened handle maps the exporter's memory.
  if (s.read) {
    h.expect_same_words("what the peer read through its mapping", *s.read, words);
    h.expect_same_words("the exporter's memory after the peer wrote through its mapping", s.after, plus(words, 1));
  } else {
    h.expect_same_words("the exporter's memory, which the peer could not open", s.after, words);
  }
}

CTXSHARE_CASE(interprocess, memory_handle_opened_in_the_process_that_exported_it,
              {.claims = {"IPC-MEM"},
               .source = std::string("openucx/ucx#11226; openucx/ucx#11603; ROCm/hip#2880 - ") + kIpcDocs +
                         " (the functions open handles \"exported from another process\"; the exporter's own is not said)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Recognize your own process's handles (UCX compares the pid) and use the allocation's pointer "
                        "instead of opening it.",
               .timeout_s = 20, .axes = {axis<Api>()}}) {
  // UCX's same-process path failed with "invalid device context" in cuIpcOpenMemHandle.
  const auto words = h.random_words(kWords);
  const CUdeviceptr p = exported_memory(h, Api::runtime, ExporterContext::primary, words);
  const Order order = read_order(memory_handle(h, Api::runtime, p, h.param<Api>(), false));
  CUdeviceptr opened = 0;
  if (h.param<Api>() == Api::driver) {
    CUipcMemHandle handle{};
    std::memcpy(&handle, order.handle, 64);
    const CUresult r = h.observe_result("cuIpcOpenMemHandle in the exporting process", cuIpcOpenMemHandle(&opened, handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS));
    if (r == CUDA_SUCCESS) h.observe_result("cuIpcCloseMemHandle of it", cuIpcCloseMemHandle(opened));
  } else {
    cudaIpcMemHandle_t handle{};
    std::memcpy(&handle, order.handle, 64);
    void* q = nullptr;
    const cudaError_t r = h.observe_result("cudaIpcOpenMemHandle in the exporting process", cudaIpcOpenMemHandle(&q, handle, cudaIpcMemLazyEnablePeerAccess));
    opened = reinterpret_cast<CUdeviceptr>(q);
    if (r == cudaSuccess) h.observe_result("cudaIpcCloseMemHandle of it", cudaIpcCloseMemHandle(q));
  }
  h.observe("it returned the allocation's own address", opened == p);
  std::vector<std::uint32_t> seen(kWords);
  CU(cuMemcpyDtoH(seen.data(), p, kWords * 4));
  h.expect_same_words("the allocation after the attempt", seen, words);
}

// Opens the case's memory twice in one context, closes once, reads, closes again.
CTXSHARE_PEER(interprocess, open_twice) {
  const Order order = read_order(h.peer_input());
  CUdeviceptr first = 0, second = 0;
  if (!open_memory(h, order, &first) || !open_memory(h, order, &second)) return h.tell_case("");
  // "If the memory handle has already been opened by the current context, the reference count on
  // the handle is incremented by 1 and the existing device pointer is returned."
  h.expect_eq("the pointer the second open returned", second, first);
  close_memory(h, order, second);
  h.tell_case(words_bytes(read_words(h, order, first, "reading after one of the two closes")));
  close_memory(h, order, first);
}

CTXSHARE_CASE(interprocess, memory_handle_opened_twice_in_one_context_is_counted,
              {.claims = {"IPC-MEM", "IPC-MEM-ONECTX"},
               .source = std::string("openucx/ucx#3192; openucx/ucx#4599; openucx/ucx#11216 - ") + kIpcDocs,
               .labels = {"real-world"},
               .avoid = "Count your own opens of a handle and close it as many times; with drivers that refuse the second "
                        "open, reuse the first mapping as UCX's cache does.",
               .timeout_s = 30, .axes = {axis<Api>()}}) {
  const Api api = h.param<Api>();
  const auto words = h.random_words(kWords);
  const CUdeviceptr p = exported_memory(h, api, ExporterContext::primary, words);
  Peer peer(h, "open_twice", memory_handle(h, api, p, api, true));
  const auto reply = peer.receive();
  expect_clean(h, peer.wait());
  h.expect(reply && !reply->empty(), FindingKind::unexpected_error, "the peer opened the handle twice");
  if (reply && !reply->empty()) h.expect_same_words("what the peer read with one open left", bytes_words(*reply), words);
}

// Opens the case's memory in the primary context and tells the case what it read there, then tries
// again in a created context.
CTXSHARE_PEER(interprocess, open_in_two_contexts) {
  const Order order = read_order(h.peer_input());
  CUdeviceptr first = 0, second = 0;
  if (!open_memory(h, order, &first)) return;
  h.tell_case(words_bytes(read_words(h, order, first, "reading the mapping in the primary context")));
  const CUcontext supplanted = current_context();
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUipcMemHandle handle{};
  std::memcpy(&handle, order.handle, 64);
  const CUresult r = h.observe_result("cuIpcOpenMemHandle in a second context of the device",
                                      cuIpcOpenMemHandle(&second, handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS));
  h.tell_case(r == CUDA_SUCCESS ? "opened" : "refused");
  if (r == CUDA_SUCCESS) h.observe_result("cuIpcCloseMemHandle of it", cuIpcCloseMemHandle(second));
  CU(cuCtxPopCurrent(nullptr));
  // cuCtxCreate: a context already current "is supplanted by the newly created context and may be
  // restored by a subsequent call to cuCtxPopCurrent()"; the first mapping is closed in it.
  h.expect_eq("the context current after cuCtxPopCurrent of the created context", current_context(), supplanted,
              FindingKind::wrong_context);
  close_memory(h, order, first);
}

CTXSHARE_CASE(interprocess, memory_handle_opened_in_a_second_context_is_refused,
              {.claims = {"IPC-MEM-ONECTX", "RT-NONPRIMARY"},
               .source = std::string("openucx/ucx#3192; ROCm/hip#2880; openucx/ucx#6352 - ") + kIpcDocs,
               .verdict = Verdict::fails, .expected_error = "an error, none named (one context per device per other process)",
               .labels = {"real-world"},
               .avoid = "Open each handle once per device in the importing process, in the context the runtime uses (the "
                        "primary), and share that mapping between the process's contexts.",
               .timeout_s = 30}) {
  // A process mixing the runtime's primary context with a driver-created one may not open the same
  // handle in both.
  const auto words = h.random_words(kWords);
  const CUdeviceptr p = exported_memory(h, Api::runtime, ExporterContext::primary, words);
  Peer peer(h, "open_in_two_contexts", memory_handle(h, Api::runtime, p, Api::runtime, true));
  const auto read = peer.receive();
  const auto answer = peer.receive();
  expect_clean(h, peer.wait());
  // "cudaIpcMemHandles from each device in a given process may only be opened by one context per
  // device per other process": refused, with no error named (the peer observed which).
  h.expect(answer.has_value(), FindingKind::unexpected_error, "the peer opened the handle in its primary context");
  if (read) h.expect_same_words("what the peer read through its primary context's mapping", bytes_words(*read), words);
  if (answer) h.expect_eq("the second context's open", *answer, std::string("refused"), FindingKind::unexpected_success);
}

// Allocates, exports and exits: the case opens after it is gone. Its words come in the environment
// (harness/case/peer.h), which holds at most 128 KiB a variable (Linux's MAX_ARG_STRLEN): kWords, in
// hex, did not fit, and the peer's exec failed (E2BIG) before it exported anything.
constexpr std::size_t kExitWords = 1 << 12;
CTXSHARE_PEER(interprocess, export_and_exit) {
  const auto words = bytes_words(h.peer_input());
  void* p = nullptr;
  CUDA(cudaMalloc(&p, words.size() * 4));  // not handed over: the exit is the release
  CUDA(cudaMemcpy(p, words.data(), words.size() * 4, cudaMemcpyHostToDevice));
  cudaIpcMemHandle_t handle{};
  CUDA(cudaIpcGetMemHandle(&handle, p));
  h.tell_case(std::string(reinterpret_cast<const char*>(&handle), sizeof handle));
}

CTXSHARE_CASE(interprocess, memory_handle_opened_after_the_exporter_exited,
              {.claims = {"IPC-MEM", "IPC-MEM-FREE"},
               .source = std::string("kvcache-ai/Mooncake#761; ROCm/hip#3580 - ") + kIpcDocs +
                         " (a handle whose exporter has exited is not discussed)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Keep the exporting process alive until every importer has opened and closed the handle (a "
                        "keepalive or a closing handshake), and drop handles of peers that died.",
               .timeout_s = 30, .axes = {axis<Api>()}}) {
  const auto words = h.random_words(kExitWords);
  CUDA(cudaSetDevice(0));
  Peer peer(h, "export_and_exit", words_bytes(words));
  const auto handle = peer.receive();
  expect_clean(h, peer.wait());  // the exporter exported and exited: without that, nothing here is the hazard
  h.expect(handle && handle->size() == 64, FindingKind::unexpected_error, "the exporter sent a handle");
  if (!handle || handle->size() != 64) return;
  CUdeviceptr p = 0;
  bool opened = false;
  if (h.param<Api>() == Api::driver) {
    CUipcMemHandle ipc{};
    std::memcpy(&ipc, handle->data(), 64);
    opened = h.observe_result("cuIpcOpenMemHandle after the exporter exited", cuIpcOpenMemHandle(&p, ipc, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS)) == CUDA_SUCCESS;
  } else {
    cudaIpcMemHandle_t ipc{};
    std::memcpy(&ipc, handle->data(), 64);
    void* q = nullptr;
    opened = h.observe_result("cudaIpcOpenMemHandle after the exporter exited", cudaIpcOpenMemHandle(&q, ipc, cudaIpcMemLazyEnablePeerAccess)) == cudaSuccess;
    p = reinterpret_cast<CUdeviceptr>(q);
  }
  if (!opened) return;
  std::vector<std::uint32_t> seen(words.size());
  h.observe_result("reading the mapping", cuMemcpyDtoH(seen.data(), p, seen.size() * 4));
  h.observe("it still held the exporter's words", seen == words);
  if (h.param<Api>() == Api::driver) h.observe_result("cuIpcCloseMemHandle", cuIpcCloseMemHandle(p));
  else h.observe_result("cudaIpcCloseMemHandle", cudaIpcCloseMemHandle(reinterpret_cast<void*>(p)));
}

// Opens the case's memory and reads it; waits for the case; reads again and closes.
CTXSHARE_PEER(interprocess, hold_mapping) {
  const Order order = read_order(h.peer_input());
  CUdeviceptr p = 0;
  if (!open_memory(h, order, &p)) return h.tell_case("");
  h.tell_case(words_bytes(read_words(h, order, p, "reading the mapping")));
  h.wait_for_case();  // the exporter resets meanwhile
  Order lenient = order;
  lenient.strict = 0;
  h.tell_case(words_bytes(read_words(h, lenient, p, "reading the mapping after the exporter's reset")));
  close_memory(h, lenient, p);
}

namespace {
CTXSHARE_AXIS(ExporterEnd, cudaDeviceReset, cuCtxDestroy);
}  // namespace

CTXSHARE_CASE(interprocess, mapping_in_a_peer_after_the_exporter_resets,
              {.claims = {"IPC-MEM-FREE", "RT-RESET"},
               .source = std::string("kvcache-ai/Mooncake#761; microsoft/mscclpp#764; ROCm/hip#3580 - ") + kIpcDocs +
                         " (freeing the exported memory before the importer closes it is undefined behavior)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Have importers close their mappings (and say so) before the exporter frees, resets or destroys "
                        "the context of the exported memory.",
               .timeout_s = 30, .axes = {axis<ExporterEnd>()}}) {
  const bool reset = h.param<ExporterEnd>() == ExporterEnd::cudaDeviceReset;
  const auto words = h.random_words(kWords);
  const CUdeviceptr p = exported_memory(h, reset ? Api::runtime : Api::driver,
                                        reset ? ExporterContext::primary : ExporterContext::created_context, words);
  CUcontext ctx = nullptr;
  CU(cuCtxGetCurrent(&ctx));
  Peer peer(h, "hold_mapping", memory_handle(h, reset ? Api::runtime : Api::driver, p, Api::runtime, true));
  const auto first = peer.receive();
  h.expect(first && bytes_words(*first) == words, FindingKind::data_mismatch, "the peer read the exporter's words before the reset");
  h.forget(p);
  if (reset) {
    CUDA(cudaDeviceReset());
  } else {
    CU(cuCtxDestroy(ctx));
    h.forget(ctx);
  }
  peer.send("go");
  const auto second = peer.receive();
  h.observe("the peer still read the exporter's words after it", second && bytes_words(*second) == words);
  peer.wait();
}

// ---- Events

// Opens the case's event; its query must find the case's work pending; once the case says the gate
// opens (200 ms later), synchronizing on it must wait for that, and a query then find it done.
CTXSHARE_PEER(interprocess, wait_on_event) {
  const Order order = read_order(h.peer_input());
  if (order.driver) {
    CUcontext primary = nullptr;
    CU(cuDevicePrimaryCtxRetain(&primary, h.device(0)));
    h.own_primary(h.device(0));
    CU(cuCtxSetCurrent(primary));
    CUipcEventHandle handle{};
    std::memcpy(&handle, order.handle, 64);
    CUevent event = nullptr;
    if (!peer_call(h, order, "cuIpcOpenEventHandle", cuIpcOpenEventHandle(&event, handle))) return h.tell_case("");
    h.own_event(event, Owner::driver);
    peer_call(h, order, "cuEventQuery while the case's work is held", cuEventQuery(event), CUDA_ERROR_NOT_READY);
    h.tell_case("queried");
    h.wait_for_case();
    peer_call(h, order, "cuEventSynchronize until the gate opens", cuEventSynchronize(event));
    peer_call(h, order, "cuEventQuery after it", cuEventQuery(event));
  } else {
    cudaIpcEventHandle_t handle{};
    std::memcpy(&handle, order.handle, 64);
    cudaEvent_t event = nullptr;
    if (!peer_call(h, order, "cudaIpcOpenEventHandle", cudaIpcOpenEventHandle(&event, handle))) return h.tell_case("");
    h.own_event(event, Owner::runtime);
    peer_call(h, order, "cudaEventQuery while the case's work is held", cudaEventQuery(event), cudaErrorNotReady);
    h.tell_case("queried");
    h.wait_for_case();
    peer_call(h, order, "cudaEventSynchronize until the gate opens", cudaEventSynchronize(event));
    peer_call(h, order, "cudaEventQuery after it", cudaEventQuery(event));
  }
}

namespace {
// Records an interprocess event, made through `api`, behind a shut gate; a peer opens it through
// `opener` and queries and waits on it. Returns what the peer answered and how it ended.
PeerEnd share_event(Case& h, Api api, Api opener, bool strict, std::optional<std::string>* answer) {
  CUDA(cudaSetDevice(0));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  h.own_stream(stream, Owner::driver);
  std::string order;
  Gate gate(h);
  gate.hold(stream);
  if (api == Api::runtime) {
    cudaEvent_t event = nullptr;
    CUDA(cudaEventCreateWithFlags(&event, cudaEventInterprocess | cudaEventDisableTiming));
    h.own_event(event, Owner::runtime);
    CUDA(cudaEventRecord(event, stream));
    cudaIpcEventHandle_t handle{};
    CUDA(cudaIpcGetEventHandle(&handle, event));
    order = order_bytes(handle, opener, strict);
  } else {
    CUevent event = nullptr;
    CU(cuEventCreate(&event, CU_EVENT_INTERPROCESS | CU_EVENT_DISABLE_TIMING));
    h.own_event(event, Owner::driver);
    CU(cuEventRecord(event, stream));
    CUipcEventHandle handle{};
    CU(cuIpcGetEventHandle(&handle, event));
    order = order_bytes(handle, opener, strict);
  }
  Peer peer(h, "wait_on_event", order, {.timeout_s = 15});
  *answer = peer.receive();
  // Opened later, so that the peer's synchronize on the event and this one on the stream each return
  // only if they waited: one that did not finds the work still held.
  gate.open_after(kSettle);
  peer.send("open");
  CU(cuStreamSynchronize(stream));
  gate.expect_waited(h, "cuStreamSynchronize of the stream the event was recorded on");
  const std::uint32_t gate_end = gate.kernel_end();
  h.expect_eq("the gate kernel saw the gate open (1), not giving up (2): the event was pending meanwhile", gate_end, 1u);
  return peer.wait();
}
}  // namespace

CTXSHARE_CASE(interprocess, event_handle_orders_work_across_processes,
              {.claims = {"IPC-EVENT"},
               .source = std::string("pytorch/pytorch#15974; pytorch/pytorch#114588; ROCm/hip#1984 - ") + kIpcEventDocs,
               .labels = {"real-world"},
               .avoid = "Create the event with the interprocess and disable-timing flags, open its handle in another "
                        "process only, and keep the exported event alive while the importer uses it.",
               .timeout_s = 30, .axes = {axis<Api>()}}) {
  // The peer's checks (pending while the gate holds, done after) come back as its findings.
  std::optional<std::string> answer;
  const PeerEnd end = share_event(h, h.param<Api>(), h.param<Api>(), true, &answer);
  expect_clean(h, end);
  h.expect_eq("what the peer said after its first query", answer.value_or("nothing"), std::string("queried"));
}

namespace {
CTXSHARE_AXIS(CrossedEventApis, cudaIpcGetEventHandle_to_cuIpcOpenEventHandle, cuIpcGetEventHandle_to_cudaIpcOpenEventHandle);
}  // namespace

CTXSHARE_CASE(interprocess, event_handle_opened_through_the_other_api,
              {.claims = {"IPC-EVENT", "RT-TYPES"},
               .source = std::string("pytorch/pytorch#114588; ROCm/hip#1984 - ") + kIpcEventDocs +
                         " (cudaIpcEventHandle_t and CUipcEventHandle are both 64 opaque bytes; that they interchange is not said)",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Open an event handle through the API that exported it.",
               .timeout_s = 30, .axes = {axis<CrossedEventApis>()}}) {
  const bool runtime_export = h.param<CrossedEventApis>() == CrossedEventApis::cudaIpcGetEventHandle_to_cuIpcOpenEventHandle;
  std::optional<std::string> answer;
  share_event(h, runtime_export ? Api::runtime : Api::driver, runtime_export ? Api::driver : Api::runtime, false, &answer);
  h.observe("what the peer said after opening it", answer.value_or("nothing"));
}

// Records an interprocess event on work that is done, exports it and exits.
CTXSHARE_PEER(interprocess, export_event_and_exit) {
  CUDA(cudaSetDevice(0));
  cudaEvent_t event = nullptr;
  CUDA(cudaEventCreateWithFlags(&event, cudaEventInterprocess | cudaEventDisableTiming));  // the exit releases it
  CUDA(cudaEventRecord(event, nullptr));
  CUDA(cudaEventSynchronize(event));
  cudaIpcEventHandle_t handle{};
  CUDA(cudaIpcGetEventHandle(&handle, event));
  h.tell_case(std::string(reinterpret_cast<const char*>(&handle), sizeof handle));
}

CTXSHARE_CASE(interprocess, event_handle_opened_after_the_exporter_exited,
              {.claims = {"IPC-EVENT"},
               .source = std::string("pytorch/pytorch#15974; pytorch/pytorch#114588 - ") + kIpcEventDocs +
                         " (\"performing operations on the imported event after the exported event has been freed ... undefined\")",
               .verdict = Verdict::hazard, .labels = {"real-world"},
               .avoid = "Keep the exporting process and its event alive until every importer has destroyed its copy; "
                        "PyTorch found that otherwise synchronizing can block forever.",
               .timeout_s = 20, .axes = {axis<Api>()}}) {
  CUDA(cudaSetDevice(0));
  Peer peer(h, "export_event_and_exit", "", {.timeout_s = 10});
  const auto handle = peer.receive();
  peer.wait();
  if (!handle || handle->size() != 64) return h.observe("the exporter sent a handle", false);
  if (h.param<Api>() == Api::driver) {
    CUipcEventHandle ipc{};
    std::memcpy(&ipc, handle->data(), 64);
    CUevent event = nullptr;
    if (h.observe_result("cuIpcOpenEventHandle after the exporter exited", cuIpcOpenEventHandle(&event, ipc)) != CUDA_SUCCESS) return;
    h.observe_result("cuEventQuery of it", cuEventQuery(event));
    h.observe_result("cuEventSynchronize of it", cuEventSynchronize(event));  // a hang here is the finding
    h.observe_result("cuEventDestroy of it", cuEventDestroy(event));
  } else {
    cudaIpcEventHandle_t ipc{};
    std::memcpy(&ipc, handle->data(), 64);
    cudaEvent_t event = nullptr;
    if (h.observe_result("cudaIpcOpenEventHandle after the exporter exited", cudaIpcOpenEventHandle(&event, ipc)) != cudaSuccess) return;
    h.observe_result("cudaEventQuery of it", cudaEventQuery(event));
    h.observe_result("cudaEventSynchronize of it", cudaEventSynchronize(event));
    h.observe_result("cudaEventDestroy of it", cudaEventDestroy(event));
  }
}

CTXSHARE_CASE(interprocess, event_without_the_interprocess_flag_has_no_handle,
              {.claims = {"IPC-EVENT"},
               .source = std::string("ROCm/hip#2882; pytorch/pytorch#15974 - ") + kIpcEventDocs +
                         " (the event \"must have been created with\" both flags; the handle error each lists)",
               .verdict = Verdict::fails, .expected_error = "cudaErrorInvalidResourceHandle / CUDA_ERROR_INVALID_HANDLE",
               .labels = {"real-world"},
               .avoid = "Create events meant for another process with cudaEventInterprocess | cudaEventDisableTiming "
                        "(CU_EVENT_INTERPROCESS | CU_EVENT_DISABLE_TIMING); a plain event cannot be shared later.",
               .axes = {axis<Api>()}}) {
  CUDA(cudaSetDevice(0));
  if (h.param<Api>() == Api::runtime) {
    cudaEvent_t event = nullptr;
    CUDA(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    h.own_event(event, Owner::runtime);
    cudaIpcEventHandle_t handle{};
    EXPECT_ERROR(cudaErrorInvalidResourceHandle, cudaIpcGetEventHandle(&handle, event));
  } else {
    CUevent event = nullptr;
    CU(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
    h.own_event(event, Owner::driver);
    CUipcEventHandle handle{};
    EXPECT_ERROR(CUDA_ERROR_INVALID_HANDLE, cuIpcGetEventHandle(&handle, event));
  }
}

// ---- A POSIX file descriptor of cuMemCreate memory

// Imports the descriptor the case passed, maps it, and tells the case what it reads there through
// the API the case names.
CTXSHARE_PEER(interprocess, import_descriptor) {
  const Order order = read_order(h.peer_input());
  const int fd = h.peer_fd();
  h.expect(fd >= 0, FindingKind::unexpected_error, "the case passed a descriptor");
  CUDA(cudaSetDevice(0));
  CUmemGenericAllocationHandle allocation{};
  CU(cuMemImportFromShareableHandle(&allocation, reinterpret_cast<void*>(static_cast<std::uintptr_t>(fd)),
                                    CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR));
  std::size_t size = 0;
  std::memcpy(&size, order.handle, sizeof size);
  CUdeviceptr p = 0;
  CU(cuMemAddressReserve(&p, size, 0, 0, 0));
  CU(cuMemMap(p, size, 0, allocation, 0));
  h.defer("the imported mapping", [p, size, allocation] {
    CUresult r = cuMemUnmap(p, size);
    if (r == CUDA_SUCCESS) r = cuMemAddressFree(p, size);
    if (r == CUDA_SUCCESS) r = cuMemRelease(allocation);
    return r;
  });
  CUmemAccessDesc access{};
  access.location = {CU_MEM_LOCATION_TYPE_DEVICE, h.device(0)};
  access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  CU(cuMemSetAccess(p, size, &access, 1));
  std::vector<std::uint32_t> words(order.words);
  if (order.driver) CU(cuMemcpyDtoH(words.data(), p, words.size() * 4));
  else CUDA(cudaMemcpy(words.data(), reinterpret_cast<void*>(p), words.size() * 4, cudaMemcpyDeviceToHost));
  h.tell_case(words_bytes(words));
}

CTXSHARE_CASE(interprocess, memory_exported_as_a_file_descriptor_reads_in_a_peer,
              {.claims = {"IPC-FD", "RT-TYPES"},
               .source = "meta-pytorch/torchcomms#1053; openucx/ucx#11548; NVIDIA/cuda-python#174; microsoft/mscclpp#764 - "
                         "cuda.h: cuMemCreate (requestedHandleTypes), cuMemExportToShareableHandle, "
                         "cuMemImportFromShareableHandle, cuMemMap, cuMemSetAccess",
               .needs = {.min_driver = 10020}, .labels = {"real-world"},
               .avoid = "Ask cuMemCreate for CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, pass the descriptor over a Unix "
                        "socket or pidfd_getfd (or at exec), and keep the allocation until the importer has mapped it.",
               .timeout_s = 30, .axes = {axis<Api>()}}) {
  int supported = 0;
  CU(cuDeviceGetAttribute(&supported, CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED, h.device(0)));
  if (!supported) h.skip("device 0 cannot export memory as a POSIX file descriptor");
  CUDA(cudaSetDevice(0));  // a runtime program that shares its VMM memory, as PyTorch's expandable segments do
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location = {CU_MEM_LOCATION_TYPE_DEVICE, h.device(0)};
  prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
  std::size_t granularity = 0;
  CU(cuMemGetAllocationGranularity(&granularity, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
  const std::size_t size = (kWords * 4 + granularity - 1) / granularity * granularity;
  CUmemGenericAllocationHandle allocation{};
  CU(cuMemCreate(&allocation, size, &prop, 0));
  CUdeviceptr p = 0;
  CU(cuMemAddressReserve(&p, size, 0, 0, 0));
  CU(cuMemMap(p, size, 0, allocation, 0));
  h.defer("the exported allocation and its mapping", [p, size, allocation] {
    CUresult r = cuMemUnmap(p, size);
    if (r == CUDA_SUCCESS) r = cuMemAddressFree(p, size);
    if (r == CUDA_SUCCESS) r = cuMemRelease(allocation);
    return r;
  });
  CUmemAccessDesc access{};
  access.location = prop.location;
  access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  CU(cuMemSetAccess(p, size, &access, 1));
  const auto words = h.random_words(kWords);
  CUDA(cudaMemcpy(reinterpret_cast<void*>(p), words.data(), kWords * 4, cudaMemcpyHostToDevice));
  int fd = -1;
  CU(cuMemExportToShareableHandle(&fd, allocation, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0));
  Order order;
  std::memcpy(order.handle, &size, sizeof size);
  order.driver = h.param<Api>() == Api::driver;
  Peer peer(h, "import_descriptor", std::string(reinterpret_cast<const char*>(&order), sizeof order), {.pass_fd = fd});
  const auto reply = peer.receive();
  expect_clean(h, peer.wait());
  close(fd);
  h.expect(reply.has_value(), FindingKind::unexpected_error, "the peer read the imported memory");
  if (reply) h.expect_same_words("what the peer read through the imported mapping", bytes_words(*reply), words);
}

}  // namespace ctxshare
