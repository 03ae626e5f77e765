// fork: CUDA state does not survive fork(). What a child gets from each API when its parent
// initialized CUDA, and whether the parent is unharmed. The child reports through a pipe; the parent
// waits a bounded time and records a crash or hang of the child as what happened.
// Source: CUDA Programming Guide, Initialization ("CUDA ... not supported after fork"); cuda.h, cuInit.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cases/kernels.cuh"
#include "harness/case/case.h"

namespace ctxshare {

namespace {
constexpr const char* kFork = "CUDA Programming Guide: CUDA is not supported in a child process created by fork() after initialization";
constexpr const char* kForkExec =
    "CUDA Programming Guide: CUDA is not supported in a child created by fork() after initialization; "
    "a child that calls exec() before any CUDA call is a new program (POSIX fork/exec)";

// Runs child() in a forked process; returns what it wrote, and its fate, as observations.
void in_forked_child(Case& h, const std::function<std::string()>& child) {
  int out[2];
  if (pipe(out) != 0) return h.observe("pipe", "failed");
  const pid_t pid = fork();
  if (pid == 0) {
    mute_events();  // the child's calls are not the parent's trace: it reports through the pipe
    const std::string said = child();
    (void)!write(out[1], said.data(), said.size());
    _exit(0);
  }
  close(out[1]);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      h.observe("child", "hung: killed after 20 s");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string said(4096, '\0');
  const ssize_t n = read(out[0], said.data(), said.size());
  close(out[0]);
  said.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (WIFSIGNALED(status)) h.observe("child", "died of signal " + std::to_string(WTERMSIG(status)));
  h.observe("child reported", said.empty() ? "nothing" : said);
}
}  // namespace

CTXSHARE_AXIS(ParentInitializedBy, runtime, driver);

CTXSHARE_CASE(fork, parent_keeps_its_context_and_memory_across_fork_and_exec,
              {.claims = {"DRV-FORK"}, .source = kForkExec, .axes = {axis<ParentInitializedBy>()}}) {
  // The supported way to start a process from a CUDA program: fork, then exec at once. The parent's
  // context, memory and launches must be untouched by it.
  const std::size_t n = 1 << 16;
  const std::vector<std::uint32_t> words = h.random_words(n);
  std::uint32_t* data = nullptr;
  CUcontext before = nullptr;
  if (h.param<ParentInitializedBy>() == ParentInitializedBy::runtime) {
    CUDA(cudaMalloc(&data, n * sizeof(std::uint32_t)));
    h.own_device_memory(data, n * sizeof(std::uint32_t), Owner::runtime);
  } else {
    CUcontext created = nullptr;
    CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
    h.own_context(created);
    CUdeviceptr p = 0;
    CU(cuMemAlloc(&p, n * sizeof(std::uint32_t)));
    h.own_device_memory(p, n * sizeof(std::uint32_t), Owner::driver);
    data = reinterpret_cast<std::uint32_t*>(p);
  }
  CU(cuCtxGetCurrent(&before));
  CU(cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(data), words.data(), n * sizeof(std::uint32_t)));

  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/true", "true", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  h.observe("child (exec /bin/true) exit status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  CUcontext after = nullptr;
  CU(cuCtxGetCurrent(&after));
  h.expect_eq("current context after the child ran", after, before, FindingKind::wrong_context);
  add_value<<<blocks_for(n), 256>>>(data, 3, n);
  CUDA(cudaGetLastError());
  CUDA(cudaDeviceSynchronize());
  std::vector<std::uint32_t> seen(n), expected(words);
  for (auto& w : expected) w += 3;
  CU(cuMemcpyDtoH(seen.data(), reinterpret_cast<CUdeviceptr>(data), n * sizeof(std::uint32_t)));
  h.expect_same_words("the parent's memory after a launch that followed the fork", seen, expected);
}

CTXSHARE_CASE(fork, child_of_a_runtime_initialized_parent,
              {.claims = {"DRV-FORK"}, .source = kFork, .verdict = Verdict::hazard}) {
  void* parent_memory = nullptr;
  CUDA(cudaMalloc(&parent_memory, 4096));
  h.own_device_memory(parent_memory, 4096, Owner::runtime);
  in_forked_child(h, [] {
    void* p = nullptr;
    CUcontext current = nullptr;
    const cudaError_t malloc_result = cudaMalloc(&p, 256);
    const CUresult current_result = cuCtxGetCurrent(&current);
    return Value{{"cudaMalloc", cudaGetErrorName(malloc_result)}, {"cuCtxGetCurrent", driver_error_name(current_result)}}.json();
  });
  CUDA(cudaMemset(parent_memory, 7, 4096));  // the parent's CUDA is unharmed
  CUDA(cudaDeviceSynchronize());
}

CTXSHARE_CASE(fork, child_of_a_driver_initialized_parent,
              {.claims = {"DRV-FORK"}, .source = kFork, .verdict = Verdict::hazard}) {
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, h.device(0)));
  h.own_context(created);
  CUdeviceptr parent_memory = 0;
  CU(cuMemAlloc(&parent_memory, 4096));
  h.own_device_memory(parent_memory, 4096, Owner::driver);
  in_forked_child(h, [&] {
    CUdeviceptr p = 0;
    const CUresult alloc = cuMemAlloc(&p, 256);
    const CUresult memset = cuMemsetD8(parent_memory, 1, 4096);
    return Value{{"cuMemAlloc", driver_error_name(alloc)}, {"cuMemsetD8 of the parent's memory", driver_error_name(memset)}}.json();
  });
  CU(cuMemsetD8(parent_memory, 3, 4096));
  CU(cuCtxSynchronize());
}

}  // namespace ctxshare
