// `ctxshare watch` without a GPU: the probe (tests/watch/probe.cpp) performs each hazard against the
// fake driver (tests/watch/fake_driver.cpp), through the interposer (watch/); the reports, the
// forwarding of unwatched symbols, cuGetProcAddress's wrapping and the pass-through of the program's
// output, exit status and signals are asserted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "harness/reports/watch.h"
#include "process.h"
#include "watch/hazard_table.h"
#include "tests/paths.h"

namespace {

const std::string kFakeDriver = FAKE_DRIVER;
const std::string kFakeDir = kFakeDriver.substr(0, kFakeDriver.rfind('/'));
const std::string kWatchDir = std::string(WATCH_DRIVER).substr(0, std::string(WATCH_DRIVER).rfind('/'));

struct Watched {
  Ran ran;
  nlohmann::json reports;
};

Watched watch(const std::vector<std::string>& probe_args, const std::vector<std::string>& options = {},
              std::map<std::string, std::string> env = {}) {
  TempDir dir;
  std::vector<std::string> argv = {CTXSHARE_EXE, "watch", "--json", dir.file("watch.json")};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.push_back(WATCH_PROBE);
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  Watched w;
  env["CTXSHARE_WATCH_REAL_DRIVER"] = kFakeDriver;
  w.ran = run(argv, env);
  w.reports = nlohmann::json::parse(read_file(dir.file("watch.json")), nullptr, false);
  // A probe that stopped for an entry point the fake driver lacks checked nothing: no report proves nothing.
  EXPECT_EQ(w.ran.err.find("probe: no entry point"), std::string::npos) << w.ran.err;
  return w;
}

// The probe alone, against the fake driver.
Ran unwatched(const std::vector<std::string>& probe_args) {
  std::vector<std::string> argv = {WATCH_PROBE};
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  return run(argv, {{"LD_LIBRARY_PATH", kFakeDir}});
}

std::vector<std::string> case_ids(const nlohmann::json& reports) {
  std::vector<std::string> ids;
  for (const auto& h : reports["hazards"]) ids.push_back(h.value("case", ""));
  return ids;
}

// The cases the reports of one hazard name, in order.
std::vector<std::string> case_ids(const nlohmann::json& reports, const std::string& hazard) {
  std::vector<std::string> ids;
  for (const auto& h : reports["hazards"])
    if (h.value("hazard", "") == hazard) ids.push_back(h.value("case", ""));
  return ids;
}

// No report from a probe that ran to its end: without its exit status and output, no report proves nothing.
void expect_no_report(const Watched& w, const std::string& out) {
  EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
  EXPECT_EQ(w.ran.out, out);
  ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
  EXPECT_TRUE(w.reports["hazards"].empty()) << w.reports.dump(2);
}

// One report of the hazard, naming the case.
void expect_one(const Watched& w, const std::string& hazard, const std::string& case_id) {
  ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
  ASSERT_EQ(w.reports["hazards"].size(), 1u) << w.reports.dump(2);
  const auto& h = w.reports["hazards"][0];
  EXPECT_EQ(h.value("hazard", ""), hazard);
  EXPECT_EQ(h.value("case", ""), case_id);
  EXPECT_EQ(h.value("repro", ""), case_id.empty() ? "" : "ctxshare repro " + case_id + " --out repro-" + case_id);
  if (!case_id.empty()) {
    EXPECT_NE(w.ran.err.find("shown by: " + case_id), std::string::npos) << w.ran.err;
  }
}

TEST(Watch, ACleanProgramIsReportedCleanAndItsOutputIsUntouched) {
  const Watched w = watch({"clean"});
  EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
  EXPECT_EQ(w.ran.out, unwatched({"clean"}).out);
  // cuDeviceGetName is not watched: it reached the fake through its trampoline.
  EXPECT_EQ(w.ran.out, "device name: fake device 0\nclean: done\n");
  EXPECT_TRUE(w.reports["hazards"].empty()) << w.reports.dump(2);
  ASSERT_EQ(w.reports["processes"].size(), 1u);
  EXPECT_EQ(w.reports["processes"][0].value("driver", ""), kFakeDriver);
  EXPECT_TRUE(w.reports["processes"][0].value("loaded", false));
  EXPECT_TRUE(w.reports["processes"][0].value("exit_marker", false));  // preloaded by watch
}

TEST(Watch, AReleaseByAComponentThatNeverRetainedThePrimary) {
  const Watched w = watch({"unbalanced_release"});
  expect_one(w, "primary_released_by_non_retainer",
             "lifecycle.cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary");
  const auto& h = w.reports["hazards"][0];
  // cuInit, the runtime's retain and set-current (resolved through cuGetProcAddress), the release.
  EXPECT_EQ(h.value("thread", 0), 1);
  EXPECT_EQ(h.value("call", 0), 4);
  EXPECT_EQ(h.value("function", ""), "cuDevicePrimaryCtxRelease_v2");
  EXPECT_EQ(h.value("component", ""), "program");
  ASSERT_EQ(h["recent"].size(), 4u);
  EXPECT_EQ(h["recent"][1].value("function", ""), "cuDevicePrimaryCtxRetain");
  EXPECT_EQ(h["recent"][1].value("component", ""), "runtime");
  EXPECT_EQ(h["recent"][2].value("function", ""), "cuCtxSetCurrent");
  EXPECT_EQ(h["recent"][2].value("component", ""), "runtime");
}

// The runtime's stream left in the destroyed context is reported at the destroy too (below).
TEST(Watch, ObjectsOfADestroyedContextAreNamedByTheCallThatUsedThem) {
  EXPECT_EQ(case_ids(watch({"destroyed_context_stream", "runtime"}).reports, "object_of_destroyed_context"),
            (std::vector<std::string>{"lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery"}));
  EXPECT_EQ(case_ids(watch({"destroyed_context_stream", "program"}).reports, "object_of_destroyed_context"),
            (std::vector<std::string>{"lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cuStreamQuery"}));
  const Watched both = watch({"destroyed_context_stream_then_event"});
  EXPECT_EQ(case_ids(both.reports, "object_of_destroyed_context"),
            (std::vector<std::string>{"lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery",
                                      "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery_then_cudaEventQuery"}));
}

TEST(Watch, AStreamOfAResetPrimaryIsNamedByItsMakerItsUserAndTheReinitialization) {
  for (const std::string creator : {"runtime", "program"})
    for (const std::string user : {"runtime", "program"})
      for (const std::string when : {"before", "after"}) {
        SCOPED_TRACE(creator + "." + user + "." + when);
        const std::string id = std::string("lifecycle.stream_used_after_cudaDeviceReset.") +
                               (creator == "runtime" ? "cudaStreamCreate." : "cuStreamCreate.") +
                               (user == "runtime" ? "cudaStreamQuery." : "cuStreamQuery.") + when + "_reinitialization";
        EXPECT_EQ(case_ids(watch({"reset_stream", creator + "." + user + "." + when}).reports, "object_of_reset_primary"),
                  std::vector<std::string>{id});
      }
  // The runtime's own query re-initializing the primary right before it uses the stream: before.
  EXPECT_EQ(case_ids(watch({"reset_stream", "runtime.runtime.implicit"}).reports, "object_of_reset_primary"),
            std::vector<std::string>{
                "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.before_reinitialization"});
}

// The program made the primary active, the runtime came second onto it, and the program let go: the
// runtime's objects live on its own retain alone, named by the use and by how the runtime came.
TEST(Watch, RuntimeObjectsOfAPrimaryItsFirstRetainerReleasedAreNamed) {
  const std::string started = "primary_refcount.runtime_starts_on_a_retained_primary_then_the_component_releases.";
  const std::string stale = "stale_objects.";
  EXPECT_EQ(case_ids(watch({"runtime_came_second", "push.runtime_copy"}).reports, "primary_kept_alive_only_by_the_runtime"),
            std::vector<std::string>{started + "cudaInitDevice"});
  const Watched set = watch({"runtime_came_second", "set.runtime_copy"});
  EXPECT_EQ(case_ids(set.reports, "primary_kept_alive_only_by_the_runtime"), std::vector<std::string>{started + "cudaSetDevice"});
  EXPECT_EQ(set.reports["hazards"][0]["indistinguishable"], nlohmann::json::array({started + "cudaMalloc"}));
  EXPECT_EQ(case_ids(watch({"runtime_came_second", "found_current.runtime_stream_destroy"}).reports,
                     "primary_kept_alive_only_by_the_runtime"),
            std::vector<std::string>{stale + "stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"});
  EXPECT_EQ(case_ids(watch({"runtime_came_second", "found_current.program_stream_sync"}).reports,
                     "primary_kept_alive_only_by_the_runtime"),
            std::vector<std::string>{stale + "stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"});
  // The program keeping its retain, or the runtime having come first: nothing.
  const Watched kept = watch({"runtime_came_second", "set.kept"});
  EXPECT_EQ(kept.ran.out, "copy: 0\n");
  EXPECT_TRUE(kept.reports["hazards"].empty()) << kept.reports.dump(2);
  const Watched first = watch({"runtime_came_first"});
  EXPECT_EQ(first.ran.out, "query: 0\n");
  EXPECT_TRUE(first.reports["hazards"].empty()) << first.reports.dump(2);
}

// Released once more than retained: the release is named, and the runtime's query of its stream after it.
TEST(Watch, ARuntimeStreamQueriedAfterTheProgramsSecondReleaseIsNamed) {
  const std::string twice = "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.";
  const Watched w = watch({"released_twice_then_runtime_stream"});
  EXPECT_EQ(case_ids(w.reports, "primary_released_by_non_retainer"), std::vector<std::string>{twice + "cudaMalloc_of_a_new_allocation"});
  EXPECT_EQ(case_ids(w.reports, "object_of_reset_primary"), std::vector<std::string>{twice + "cudaStreamQuery_of_the_runtime_stream"})
      << w.reports.dump(2);
}

// The preloaded exit marker says when exit began and which handler runs: the call is named by it.
TEST(Watch, CallsDuringExitAreNamedByWhenTheirHandlerWasRegistered) {
  const std::string runtime_call = "teardown.runtime_call_from_an_exit_handler.";
  EXPECT_EQ(case_ids(watch({"exit_calls", "runtime_free.before"}).reports, "call_during_exit"),
            std::vector<std::string>{runtime_call + "before_the_runtime_starts.cudaFree"});
  EXPECT_EQ(case_ids(watch({"exit_calls", "runtime_free.after"}).reports, "call_during_exit"),
            std::vector<std::string>{runtime_call + "after_the_runtime_starts.cudaFree"});
  // cudaGetDevice makes one driver call, cuCtxGetDevice, passed straight through until exit begins.
  EXPECT_EQ(case_ids(watch({"exit_calls", "runtime_get_device.before"}).reports, "call_during_exit"),
            std::vector<std::string>{runtime_call + "before_the_runtime_starts.cudaGetDevice"});
  EXPECT_EQ(case_ids(watch({"exit_calls", "runtime_get_device.after"}).reports, "call_during_exit"),
            std::vector<std::string>{runtime_call + "after_the_runtime_starts.cudaGetDevice"});
  // What cudaDeviceReset destroyed, released from a handler registered after the runtime started.
  for (const auto& [what, id] : std::vector<std::pair<std::string, std::string>>{
           {"free", "cudaFree"}, {"event", "cudaEventDestroy"}, {"stream", "cudaStreamDestroy"}}) {
    const Watched w = watch({"exit_calls", "after_reset." + what});
    const auto ids = case_ids(w.reports, "call_during_exit");
    EXPECT_NE(std::find(ids.begin(), ids.end(), "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed." + id), ids.end())
        << what << ": " << w.reports.dump(2);
  }
  // exit called, rather than main's return
  const Watched exited = watch({"exit_calls", "exit_call"});
  EXPECT_EQ(exited.ran.out, "free at exit: 0\n");
  EXPECT_EQ(case_ids(exited.reports, "call_during_exit"), std::vector<std::string>{runtime_call + "after_the_runtime_starts.cudaFree"});
  EXPECT_EQ(case_ids(watch({"exit_calls", "program_destroy.before"}).reports, "call_during_exit"),
            std::vector<std::string>{"teardown.created_context_destroyed_from_an_exit_handler.before_the_runtime_starts"});
  EXPECT_EQ(case_ids(watch({"exit_calls", "program_destroy.after"}).reports, "call_during_exit"),
            std::vector<std::string>{"teardown.created_context_destroyed_from_an_exit_handler.after_the_runtime_starts"});
  const Watched thread_local_event = watch({"exit_calls", "thread_local"});
  EXPECT_EQ(case_ids(thread_local_event.reports, "call_during_exit"),
            std::vector<std::string>{"teardown.main_thread_thread_local_destroys_its_event_at_exit.the_body_before_the_thread_local"});
  EXPECT_EQ(thread_local_event.reports["hazards"][0]["indistinguishable"],
            nlohmann::json::array({"teardown.main_thread_thread_local_destroys_its_event_at_exit.the_thread_locals_constructor"}));
  // The runtime's own teardown (registered before main) and a CUDA library's (its own handler): none.
  const Watched teardowns = watch({"exit_calls", "teardowns_only"});
  EXPECT_EQ(teardowns.ran.exit_code, 0) << teardowns.ran.err;
  EXPECT_TRUE(teardowns.reports["hazards"].empty()) << teardowns.reports.dump(2);
  // Nothing at exit: nothing reported.
  EXPECT_TRUE(watch({"exit_calls", "none"}).reports["hazards"].empty());
}

TEST(Watch, StreamWaitEventPinnedHostMemoryAndDetach) {
  const Watched destroyed = watch({"stale_event_wait", "cuCtxDestroy"});
  EXPECT_EQ(case_ids(destroyed.reports, "object_of_destroyed_context"),
            std::vector<std::string>{"stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cuStreamWaitEvent_on_a_live_stream"});
  // At the destroy: the runtime's event left in it (named by the case whose use may never reach the driver).
  EXPECT_EQ(case_ids(destroyed.reports, "runtime_objects_left_in_an_ended_context"),
            std::vector<std::string>{"stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cudaEventRecord"});
  EXPECT_EQ(case_ids(watch({"stale_event_wait", "reset"}).reports, "object_of_reset_primary"),
            std::vector<std::string>{"stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cuStreamWaitEvent_on_a_live_stream"});
  EXPECT_EQ(case_ids(watch({"pinned_after_reset", "runtime"}).reports, "object_of_reset_primary"),
            std::vector<std::string>{"stale_objects.pinned_host_memory_freed_after_cudaDeviceReset.cudaFreeHost"});
  EXPECT_EQ(case_ids(watch({"pinned_after_reset", "program"}).reports, "object_of_reset_primary"),
            std::vector<std::string>{"stale_objects.pinned_host_memory_freed_after_cudaDeviceReset.cuMemFreeHost"});
  // cuCtxDetach ends the context as cuCtxDestroy does: the runtime's stream in it is stale.
  EXPECT_EQ(case_ids(watch({"detached_context_stream"}).reports, "object_of_destroyed_context"),
            std::vector<std::string>{"lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery"});
}

// A stale stream's query is reported before the call: the program's query of its stream of a reset
// primary crashed inside the driver on the H100 run (the fake driver crashes so when asked to).
TEST(Watch, AStaleStreamIsReportedBeforeAQueryThatCrashes) {
  const Watched w = watch({"reset_stream", "program.program.after"}, {}, {{"FAKE_DRIVER_CRASHES_ON_STALE_QUERY", "1"}});
  EXPECT_EQ(w.reports["exit"].value("signal", ""), "SIGSEGV") << w.ran.err;
  EXPECT_EQ(case_ids(w.reports, "object_of_reset_primary"),
            std::vector<std::string>{"lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.after_reinitialization"});
}

TEST(Watch, AKernelHandleOfTheOtherKindIsReportedBeforeTheCall) {
  expect_one(watch({"handle_kinds", "kernel_as_function"}), "kernel_handle_of_the_other_kind",
             "module_loading.cuFuncGetAttribute_of_a_CUkernel_passed_as_a_CUfunction");
  expect_one(watch({"handle_kinds", "function_as_kernel"}), "kernel_handle_of_the_other_kind",
             "module_loading.cuKernelGetFunction_given_a_CUfunction");
  expect_one(watch({"handle_kinds", "function_to_cudaLaunchKernel"}), "kernel_handle_of_the_other_kind",
             "module_loading.cudaLaunchKernel_given_a_CUfunction");
  expect_one(watch({"handle_kinds", "function_to_cudaLaunchKernel_profiled"}), "kernel_handle_of_the_other_kind",
             "module_loading.cudaLaunchKernel_given_a_CUfunction");
  EXPECT_TRUE(watch({"handle_kinds", "each_as_itself"}).reports["hazards"].empty());
}

// Kernel code loaded on one thread while another thread's kernel still runs (the fake driver's held
// kernel keeps its stream busy for a second): reported before the call that may wait, keyed by
// CUDA_MODULE_LOADING; not when the kernel ended first, nor on the launching thread itself.
TEST(Watch, CodeLoadedBesideAnotherThreadsRunningKernel) {
  const std::string lazy = "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.";
  const std::string eager = "module_loading.eager_loading_runtime_call_beside_a_running_kernel.";
  const std::string by_thread = "module_loading.module_loaded_and_launched_by_another_thread_beside_a_running_kernel.";
  expect_one(watch({"load_beside_a_running_kernel", "runtime_first_launch"}), "module_loaded_beside_a_running_kernel",
             lazy + "first_launch_of_a_kernel");
  expect_one(watch({"load_beside_a_running_kernel", "runtime_attributes"}), "module_loaded_beside_a_running_kernel",
             lazy + "cudaFuncGetAttributes_of_a_kernel");
  expect_one(watch({"load_beside_a_running_kernel", "runtime_first_launch"}, {}, {{"CUDA_MODULE_LOADING", "EAGER"}}),
             "module_loaded_beside_a_running_kernel", eager + "first_launch_of_a_kernel");
  expect_one(watch({"load_beside_a_running_kernel", "runtime_attributes"}, {}, {{"CUDA_MODULE_LOADING", "EAGER"}}),
             "module_loaded_beside_a_running_kernel", eager + "cudaFuncGetAttributes_of_a_kernel");
  const Watched module = watch({"load_beside_a_running_kernel", "module"});
  expect_one(module, "module_loaded_beside_a_running_kernel", by_thread + "cuModuleLoadData");
  EXPECT_EQ(module.reports["hazards"][0].value("key", ""), "program:cuModuleLoadData/lazy");
  expect_one(watch({"load_beside_a_running_kernel", "library"}), "module_loaded_beside_a_running_kernel",
             by_thread + "cuLibraryLoadData");
  // The runtime's own load comes first (it does not tell what it is for), then the call it served.
  for (const auto& [env, mode] : std::vector<std::pair<std::map<std::string, std::string>, std::string>>{
           {{}, lazy}, {{{"CUDA_MODULE_LOADING", "EAGER"}}, eager}}) {
    SCOPED_TRACE(mode);
    const Watched launch = watch({"load_beside_a_running_kernel", "runtime_library_launch"}, {}, env);
    EXPECT_EQ(case_ids(launch.reports, "module_loaded_beside_a_running_kernel"),
              (std::vector<std::string>{mode + "first_launch_of_a_kernel", mode + "first_launch_of_a_kernel"}))
        << launch.reports.dump(2);
    ASSERT_EQ(launch.reports["hazards"].size(), 2u);
    EXPECT_EQ(launch.reports["hazards"][0]["indistinguishable"], nlohmann::json({mode + "cudaFuncGetAttributes_of_a_kernel"}));
    EXPECT_EQ(launch.reports["hazards"][1].value("function", ""), "cuLaunchKernel");
    const Watched attributes = watch({"load_beside_a_running_kernel", "runtime_library_attributes"}, {}, env);
    EXPECT_EQ(case_ids(attributes.reports, "module_loaded_beside_a_running_kernel"),
              (std::vector<std::string>{mode + "first_launch_of_a_kernel", mode + "cudaFuncGetAttributes_of_a_kernel"}))
        << attributes.reports.dump(2);
    // CUDA 13's: the load, then cuKernelGetFunction, then the attributes through cuKernelGetAttribute.
    const Watched kernel_attributes = watch({"load_beside_a_running_kernel", "runtime_library_kernel_attributes"}, {}, env);
    EXPECT_EQ(case_ids(kernel_attributes.reports, "module_loaded_beside_a_running_kernel"),
              (std::vector<std::string>{mode + "first_launch_of_a_kernel", mode + "cudaFuncGetAttributes_of_a_kernel"}))
        << kernel_attributes.reports.dump(2);
  }
  for (const char* clean : {"after_it_ended", "same_thread"}) {
    const Watched w = watch({"load_beside_a_running_kernel", clean});
    EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
    EXPECT_TRUE(w.reports["hazards"].empty()) << clean << ": " << w.reports.dump(2);
  }
}

// The program's cuLaunchKernel of a handle the runtime made, refused where it does not belong.
TEST(Watch, ARuntimeKernelHandleRefusedByTheProgramsLaunch) {
  const std::string hazard = "runtime_kernel_handle_refused";
  const std::string switched = "switched_contexts.primary_function_launched_into_a_created_context.";
  const std::string cached = "stale_objects.kernel_handle_cached_across_a_primary_reset.";
  expect_one(watch({"runtime_handle_launched", "into_created_context_null_stream"}), hazard, switched + "null_stream_with_it_current");
  expect_one(watch({"runtime_handle_launched", "into_created_context_stream"}), hazard, switched + "stream_of_the_created_context");
  expect_one(watch({"runtime_handle_launched", "after_program_reset"}), hazard,
             cached + "cuDevicePrimaryCtxReset.CUfunction_from_cudaGetFuncBySymbol");
  expect_one(watch({"runtime_handle_launched", "after_runtime_reset"}), hazard, cached + "cudaDeviceReset.CUfunction_from_cudaGetFuncBySymbol");
  const Watched none = watch({"runtime_handle_launched", "on_a_thread_with_none"});
  expect_one(none, hazard, "no_current_context.driver_launch_of_a_runtime_function_on_a_thread_with_none.null_stream");
  EXPECT_EQ(none.reports["hazards"][0].value("key", ""), "program:cuLaunchKernel/runtime_handle/no_current_context/null_stream/unseen");
  EXPECT_EQ(none.reports["hazards"][0]["cases"].size(), 2u);  // and the conformance case that does it on purpose
  const Watched belongs = watch({"runtime_handle_launched", "in_its_context"});
  EXPECT_NE(belongs.ran.out.find("launch: 0"), std::string::npos) << belongs.ran.out;
  EXPECT_TRUE(belongs.reports["hazards"].empty()) << belongs.reports.dump(2);
}

// A CUDA library's calls on a thread other than the main one with nothing current.
TEST(Watch, ALibraryBindingAContextOrLaunchingOnAThreadWithNone) {
  expect_one(watch({"library_binds_a_context_on_a_new_thread", "primary"}), "no_current_context",
             "no_current_context.cublas_handle_used_on_a_thread_with_none.primary");
  expect_one(watch({"library_binds_a_context_on_a_new_thread", "created_context"}), "no_current_context",
             "no_current_context.cublas_handle_used_on_a_thread_with_none.created_context");
  // The stand-in library is named libcublas: cuFFT's row needs lib:cufft, so only the key is checked.
  const Watched launch = watch({"library_launch_on_a_thread_with_none"});
  ASSERT_EQ(launch.reports["hazards"].size(), 1u) << launch.ran.err;
  EXPECT_EQ(launch.reports["hazards"][0].value("key", ""), "runtime:cuLaunchKernel/lib:cublas/no_current_context/thread_never_had_one");
}

// cuFFT calls the exported symbols (the program's component, from libcufft): its refused launch is
// named by the library, and by whether its thread never had a context or had its context unset.
TEST(Watch, ACuFftLaunchRefusedIsNamedByTheLibraryAndTheThread) {
  const std::string plan = "library_contexts.cufft_plan_executed_with_";
  const Watched fresh = watch({"fft_launch_refused", "new_thread"});
  expect_one(fresh, "no_current_context", plan + "no_context_current.new_thread");
  EXPECT_EQ(fresh.reports["hazards"][0].value("key", ""), "program:cuLaunchKernel/lib:cufft/no_current_context/thread_never_had_one");
  EXPECT_EQ(fresh.reports["hazards"][0].value("component", ""), "program");
  expect_one(watch({"fft_launch_refused", "same_thread"}), "no_current_context",
             plan + "no_context_current.same_thread_after_cuCtxSetCurrent_null");
  const Watched other = watch({"fft_launch_refused", "another_context"});
  expect_one(other, "library_handle_of_another_context", plan + "another_context_current");
  EXPECT_EQ(other.reports["hazards"][0].value("key", ""), "program:cuLaunchKernel/lib:cufft/refused/created_context");
}

// cuBLAS's context-less kernels run wherever it launches them: a launch where the library made none of
// its objects, while it holds live ones in another context, is its handle used under another context.
TEST(Watch, ALibraryLaunchingWhereItMadeNothingWhileItsObjectsLiveElsewhere) {
  const Watched w = watch({"library_in_another_context", "handle_elsewhere"});
  expect_one(w, "library_handle_of_another_context", "libraries.cublas_handle_made_in_one_context_used_in_another");
  EXPECT_EQ(w.reports["hazards"][0].value("key", ""), "runtime:cuLaunchKernel/lib:cublas/no_objects_here");
  for (const char* clean : {"handle_in_each", "at_home"}) {
    SCOPED_TRACE(clean);
    const Watched c = watch({"library_in_another_context", clean});
    ASSERT_FALSE(c.reports.is_discarded()) << c.ran.err;
    EXPECT_TRUE(c.reports["hazards"].empty()) << c.reports.dump(2);
  }
}

// The program's launch of the runtime's CUfunction on a stream, on a thread with nothing current, runs;
// a CUkernel's is documented to take the stream's context (a conformance case): not reported.
TEST(Watch, ARuntimeFunctionLaunchedOnAStreamWithNoContextCurrent) {
  const Watched w = watch({"runtime_function_on_a_stream_with_none", "CUfunction"});
  expect_one(w, "no_current_context", "no_current_context.driver_launch_of_a_runtime_function_on_a_thread_with_none.stream_of_the_primary");
  EXPECT_NE(w.ran.out.find("launch: 0"), std::string::npos) << w.ran.out;
  const Watched kernel = watch({"runtime_function_on_a_stream_with_none", "CUkernel"});
  ASSERT_FALSE(kernel.reports.is_discarded()) << kernel.ran.err;
  EXPECT_TRUE(kernel.reports["hazards"].empty()) << kernel.reports.dump(2);
}

TEST(Watch, PointerAttributesAndGenericCopiesOnAThreadWithNoContext) {
  expect_one(watch({"no_context_pointer_attribute", "CONTEXT"}), "no_current_context",
             "no_current_context.pointer_attribute_asked_on_a_thread_with_none.CONTEXT");
  // Documented to fail: the conformance cases that ask on purpose are named.
  const Watched documented = watch({"no_context_pointer_attribute", "DEVICE_POINTER"});
  expect_one(documented, "no_current_context", "no_current_context.device_pointer_attribute_fails_on_a_thread_with_none.device_memory");
  EXPECT_EQ(documented.reports["hazards"][0]["cases"].size(), 2u);
  expect_one(watch({"no_context_generic_copy", "host_to_device"}), "no_current_context",
             "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpy_host_to_device");
  expect_one(watch({"no_context_generic_copy", "device_to_host"}), "no_current_context",
             "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpy_device_to_host");
}

// The runtime's next call on a stream or event it made in a context that ended crashes inside the
// runtime (the H100 run): reported at the destroy or reset, before that call.
TEST(Watch, RuntimeObjectsLeftInAnEndedContextAreReportedWhereItEnds) {
  const Watched destroyed = watch({"destroyed_context_stream_then_event"});
  ASSERT_FALSE(destroyed.reports["hazards"].empty()) << destroyed.ran.err;
  const auto& first = destroyed.reports["hazards"][0];
  EXPECT_EQ(first.value("hazard", ""), "runtime_objects_left_in_an_ended_context");
  EXPECT_EQ(first.value("function", ""), "cuCtxDestroy_v2");
  EXPECT_EQ(first.value("key", ""), "program:cuCtxDestroy_v2/stream+event");
  EXPECT_EQ(first.value("case", ""), "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery");
  EXPECT_EQ(first["indistinguishable"],
            nlohmann::json({"lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery_then_cudaEventQuery"}));
  EXPECT_EQ(case_ids(watch({"destroyed_context_stream", "runtime"}).reports, "runtime_objects_left_in_an_ended_context"),
            std::vector<std::string>{"stale_objects.stream_destroyed_after_its_context_ended.runtime.cuCtxDestroy"});
  for (const auto& [left, id] : std::vector<std::pair<std::string, std::string>>{
           {"both", "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaStreamDestroy"},
           {"stream", "stale_objects.stream_destroyed_after_its_context_ended.runtime.cudaDeviceReset"},
           {"event", "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventRecord"}}) {
    SCOPED_TRACE(left);
    expect_one(watch({"runtime_objects_at_reset", left}), "runtime_objects_left_in_an_ended_context", id);
  }
  // Destroyed before the context, the program's own, a CUDA library's, or left to the runtime's teardown: none.
  const Watched none = watch({"runtime_objects_without_a_stale_handle"});
  ASSERT_FALSE(none.reports.is_discarded()) << none.ran.err;
  EXPECT_TRUE(none.reports["hazards"].empty()) << none.reports.dump(2);
}

TEST(Watch, InterprocessHandlesOpenedInTheirExporterThroughTheOtherApiOrAfterItExited) {
  expect_one(watch({"ipc_open_own_handle", "program"}), "ipc_handle_opened_in_its_exporting_process",
             "interprocess.memory_handle_opened_in_the_process_that_exported_it.driver");
  expect_one(watch({"ipc_open_own_handle", "runtime"}), "ipc_handle_opened_in_its_exporting_process",
             "interprocess.memory_handle_opened_in_the_process_that_exported_it.runtime");
  // Another process (exec'd, watched too) exported it: matched by the handle's bytes.
  const Watched crossed = watch({"ipc_open_from_another_process", "runtime.program.while_alive"});
  ASSERT_EQ(crossed.reports["processes"].size(), 2u) << crossed.ran.err;
  expect_one(crossed, "ipc_handle_opened_through_the_other_api",
             "interprocess.memory_handle_opened_through_the_other_api.cudaIpcGetMemHandle_to_cuIpcOpenMemHandle.primary");
  EXPECT_EQ(crossed.reports["hazards"][0].value("function", ""), "cuIpcOpenMemHandle_v2");
  EXPECT_EQ(crossed.reports["hazards"][0].value("component", ""), "program");
  expect_one(watch({"ipc_open_from_another_process", "program.runtime.while_alive"}), "ipc_handle_opened_through_the_other_api",
             "interprocess.memory_handle_opened_through_the_other_api.cuIpcGetMemHandle_to_cudaIpcOpenMemHandle.primary");
  expect_one(watch({"ipc_open_from_another_process", "runtime.runtime.after_exit"}), "ipc_handle_opened_after_the_exporter_exited",
             "interprocess.memory_handle_opened_after_the_exporter_exited.runtime");
  // The documented round trip: one API on both sides, the exporter alive.
  for (const std::string api : {"runtime", "program"}) {
    const Watched same = watch({"ipc_open_from_another_process", api + "." + api + ".while_alive"});
    ASSERT_FALSE(same.reports.is_discarded()) << same.ran.err;
    EXPECT_EQ(same.reports["processes"].size(), 2u);
    EXPECT_TRUE(same.reports["hazards"].empty()) << same.reports.dump(2);
  }
}

TEST(Watch, StreamsAndEventsAcrossContexts) {
  expect_one(watch({"event_on_other_context_stream"}), "event_recorded_on_another_contexts_stream",
             "streams_events.event_recorded_on_a_stream_of_another_context_fails.cuEventRecord");
  expect_one(watch({"foreign_stream"}), "stream_of_another_context",
             "streams_events.stream_of_another_context_used_while_one_is_current.cuMemcpyHtoDAsync");
  // A stream of device 1's primary with device 0's current: the runtime's copy there is documented to
  // succeed and is not reported; its launch there, and the driver's copy, are.
  const Watched copy = watch({"another_devices_stream", "runtime_copy"});
  ASSERT_FALSE(copy.reports.is_discarded()) << copy.ran.err;
  ASSERT_NE(copy.ran.out.find("copy: 0"), std::string::npos) << copy.ran.out << copy.ran.err;  // the copy was made
  EXPECT_TRUE(copy.reports["hazards"].empty()) << copy.reports.dump(2);
  expect_one(watch({"another_devices_stream", "runtime_launch"}), "stream_of_another_context",
             "streams_events.stream_of_another_context_used_while_one_is_current.kernel_launch");
  expect_one(watch({"another_devices_stream", "program_copy"}), "stream_of_another_context",
             "streams_events.stream_of_another_context_used_while_one_is_current.cuMemcpyHtoDAsync");
  // cudaMemsetAsync's cuMemsetD8Async on the created context's stream, after cudaSetDevice replaced it.
  const Watched memset = watch({"runtime_memset_after_switch"});
  EXPECT_EQ(case_ids(memset.reports, "stream_of_another_context"),
            std::vector<std::string>{"switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.cudaMemsetAsync"})
      << memset.reports.dump(2);
}

// A pointer of a reset context, freed after a new allocation got its address, released the new one: its
// next use finds it gone. Freeing the new allocation by its own pointer, with no use after, is the same
// free and is not reported.
TEST(Watch, AStalePointerFreedOverANewAllocationIsFoundAtTheNextUse) {
  const Watched used = watch({"stale_pointer_freed", "then_used"});
  EXPECT_NE(used.ran.out.find("same address: 1"), std::string::npos) << used.ran.out;
  expect_one(used, "stale_pointer_freed_a_new_allocation", "stale_objects.stale_pointer_freed_after_the_reset_and_a_new_allocation");
  EXPECT_EQ(used.reports["hazards"][0].value("key", ""),
            "runtime:cuMemFree_v2/runtime:cuMemcpyDtoH_v2/runtime:cuDevicePrimaryCtxReset_v2");
  const Watched correct = watch({"stale_pointer_freed", "fresh_freed"});
  ASSERT_FALSE(correct.reports.is_discarded()) << correct.ran.err;
  EXPECT_TRUE(correct.reports["hazards"].empty()) << correct.reports.dump(2);
}

// An importer's close after the exporting process destroyed or reset the context of the exported
// memory (matched by the reader across the processes); a close before that end is the documented order.
TEST(Watch, AnInterprocessMappingClosedAfterTheExporterEndedItsMemory) {
  const std::string mapping = "interprocess.mapping_in_a_peer_after_the_exporter_resets.";
  const Watched destroyed = watch({"ipc_close_after_the_exporter_ended", "created_context.close_after"});
  ASSERT_EQ(destroyed.reports["processes"].size(), 2u) << destroyed.ran.err;
  EXPECT_EQ(case_ids(destroyed.reports, "ipc_memory_freed_before_the_importer_closed"),
            std::vector<std::string>{mapping + "cuCtxDestroy"})
      << destroyed.reports.dump(2);
  const Watched reset = watch({"ipc_close_after_the_exporter_ended", "runtime.close_after"});
  const auto ids = case_ids(reset.reports, "ipc_memory_freed_before_the_importer_closed");
  EXPECT_EQ(ids, std::vector<std::string>{mapping + "cudaDeviceReset"}) << reset.reports.dump(2);
  for (const auto& h : reset.reports["hazards"])
    if (h.value("hazard", "") == "ipc_memory_freed_before_the_importer_closed") {
      EXPECT_EQ(h.value("function", ""), "cuIpcCloseMemHandle");
      EXPECT_EQ(h.value("level", ""), "error");
    }
  for (const char* exporter : {"created_context", "runtime"}) {
    SCOPED_TRACE(exporter);
    const Watched before = watch({"ipc_close_after_the_exporter_ended", std::string(exporter) + ".close_before"});
    ASSERT_FALSE(before.reports.is_discarded()) << before.ran.err;
    EXPECT_TRUE(case_ids(before.reports, "ipc_memory_freed_before_the_importer_closed").empty()) << before.reports.dump(2);
  }
}

TEST(Watch, ThreadsAndTheRuntimesSwitches) {
  const Watched none = watch({"no_context"});
  expect_one(none, "no_current_context", "");
  EXPECT_EQ(none.reports["hazards"][0].value("call", 0), 2);
  // A stream asked of a thread with none: documented to fail, as this conformance case does on purpose.
  expect_one(watch({"no_context_stream"}), "no_current_context",
             "multi_device.cuStreamCreate_on_a_new_thread_fails_where_cudaStreamCreate_picks_device_0");
  // Both documented behaviours that are the risky pattern, which these conformance cases perform on purpose.
  const Watched pushed = watch({"pushed_at_thread_exit"});
  expect_one(pushed, "contexts_left_pushed_at_thread_exit", "threads.thread_exiting_with_a_context_current_leaves_it_usable");
  EXPECT_EQ(pushed.reports["hazards"][0].value("thread", 0), 2);
  const Watched switched = watch({"runtime_switch"});
  expect_one(switched, "runtime_switched_away_from_created_context", "runtime_first.cudaSetDevice_replaces_a_pushed_created_context");
  const auto& also = switched.reports["hazards"][0]["cases"];
  EXPECT_EQ(also.size(), 8u) << also.dump();
  EXPECT_NE(std::find(also.begin(), also.end(),
                      "switched_contexts.default_stream_handles_mean_the_context_current_after_the_switch.null_stream"),
            also.end());
}

// A CUDA library's runtime instance (libcublas_watchprobe.so here) letting go of its primary retain is
// its own teardown, not the process's runtime's: no report, in either order.
TEST(Watch, ALibrarysOwnRuntimeEndingIsNotTheProcesssTeardown) {
  for (const std::string order : {"library_first", "process_first"}) {
    SCOPED_TRACE(order);
    const Watched w = watch({"library_runtimes_end", order});
    ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
    EXPECT_TRUE(w.reports["hazards"].empty()) << w.reports.dump(2);
  }
  // A library call after the process's runtime's teardown still is one, named by the library.
  const Watched after = watch({"call_after_process_runtime_teardown"});
  ASSERT_FALSE(after.reports["hazards"].empty()) << after.ran.err;
  const auto& first = after.reports["hazards"][0];
  EXPECT_EQ(first.value("hazard", ""), "call_after_runtime_teardown");
  EXPECT_EQ(first.value("key", ""), "runtime:cuEventDestroy_v2/lib:cublas");
  EXPECT_EQ(first.value("case", ""), "teardown.cublasDestroy_from_an_exit_handler.before_the_runtime_starts");
}

TEST(Watch, ALibrarysObjectOfADestroyedContextIsNamedByTheLibrary) {
  const Watched w = watch({"library_event_after_cuCtxDestroy"});
  expect_one(w, "object_of_destroyed_context", "library_contexts.cublas_handle_used_after_its_context_is_gone.created_context_destroyed");
  const auto& h = w.reports["hazards"][0];
  EXPECT_EQ(h.value("key", ""), "runtime:cuEventDestroy_v2/runtime:cuEventCreate/lib:cublas");
  EXPECT_EQ(h["indistinguishable"], nlohmann::json({"teardown.cublasDestroy_after_its_context_ended.cuCtxDestroy"}));
  EXPECT_NE(w.ran.err.find("indistinguishable here from: teardown.cublasDestroy_after_its_context_ended.cuCtxDestroy"),
            std::string::npos)
      << w.ran.err;
}

// A CUDA library handle (found through dlsym, as the suite and ctypes find cuRAND's) alive when its
// context is destroyed: reported at the destroy of the context, and again at the handle's destroy,
// which the library still receives.
TEST(Watch, ALibraryHandleThatOutlivesItsContextIsReportedAtTheEndAndAtItsDestroy) {
  // global_scope_first: the function was asked of dlopen(NULL)'s handle before the library's own.
  for (const std::string order : {"context_destroyed_first", "global_scope_first"}) {
    SCOPED_TRACE(order);
    const Watched w = watch({"library_handle", order});
    EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
    EXPECT_EQ(w.ran.out, "create: 0\ndestroy: 0\ndestroyed by the library: 1\n");
    ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
    ASSERT_EQ(w.reports["hazards"].size(), 2u) << w.reports.dump(2);
    const auto& at_end = w.reports["hazards"][0];
    EXPECT_EQ(at_end.value("hazard", ""), "library_handle_outlived_its_context");
    EXPECT_EQ(at_end.value("key", ""), "program:cuCtxDestroy_v2/lib:curand/created_context");
    EXPECT_EQ(at_end.value("level", ""), "warning");
    EXPECT_EQ(at_end.value("case", ""), "library_contexts.curand_generator_used_after_its_context_is_gone.created_context_destroyed");
    const auto& at_destroy = w.reports["hazards"][1];
    EXPECT_EQ(at_destroy.value("key", ""), "curandDestroyGenerator/lib:curand/after/program:cuCtxDestroy_v2");
    EXPECT_EQ(at_destroy.value("level", ""), "error");
    EXPECT_EQ(at_destroy.value("case", ""), "library_contexts.curand_generator_used_after_its_context_is_gone.created_context_destroyed");
    EXPECT_EQ(at_destroy.value("function", ""), "curandDestroyGenerator");
    // The thread's recent calls name the library's: the create, the context's destroy, the handle's.
    std::vector<std::string> recent;
    for (const auto& call : at_destroy["recent"]) recent.push_back(call.value("function", ""));
    EXPECT_NE(std::find(recent.begin(), recent.end(), "curandCreateGenerator"), recent.end()) << at_destroy.dump(2);
    EXPECT_EQ(recent.back(), "curandDestroyGenerator");
  }
}

// The same through calls the dynamic linker binds (a program linked with the library): the preloaded
// library's exported functions come first. cuSOLVER's own cuBLAS handle, made inside cusolverDnCreate,
// is not told apart: the report names cuSOLVER.
TEST(Watch, ALibraryHandleOfALinkedLibraryIsFollowedAndANestedOneBelongsToTheOuter) {
  // The third: a plugin loaded with a local scope links it (an extension module linked with cuSPARSE):
  // the library's own function is found in the plugin's scope.
  for (const auto& [library, destroy] : std::vector<std::pair<std::string, std::string>>{
           {"curand", "curandDestroyGenerator"}, {"cusolver", "cusolverDnDestroy"}, {"cusparse", "cusparseDestroy"}}) {
    SCOPED_TRACE(library);
    const Watched w = library == "cusparse" ? watch({"library_handle_in_a_plugin"}) : watch({"library_handle_linked", library});
    EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
    EXPECT_EQ(w.ran.out, "create: 0\ndestroy: 0\n");
    ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
    ASSERT_EQ(w.reports["hazards"].size(), 2u) << w.reports.dump(2);
    EXPECT_EQ(w.reports["hazards"][0].value("key", ""), "program:cuCtxDestroy_v2/lib:" + library + "/created_context");
    EXPECT_EQ(w.reports["hazards"][1].value("key", ""), destroy + "/lib:" + library + "/after/program:cuCtxDestroy_v2");
    EXPECT_NE(w.ran.err.find("1 CUDA library handle(s)"), std::string::npos) << w.ran.err;
  }
}

TEST(Watch, ALibraryHandleDestroyedBeforeItsContextIsNotReported) {
  expect_no_report(watch({"library_handle", "handle_destroyed_first"}), "create: 0\ndestroy: 0\ndestroyed by the library: 1\n");
}

// The preloaded dlsym jumps to glibc's with the caller's return address: RTLD_NEXT from the program
// still starts after the program (the preload, first after it, has the symbol), not after the preload.
TEST(Watch, ThePreloadedDlsymKeepsRtldNextRelativeToItsCaller) {
  const Watched w = watch({"rtld_next"});
  EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
  EXPECT_EQ(w.ran.out, "RTLD_NEXT finds the exit marker's symbol: yes\n");
}

// cuDevicePrimaryCtxReset while the runtime retains the primary is documented: nothing to report until
// something of the reset primary is used.
TEST(Watch, ADocumentedResetIsNotReportedByItself) {
  expect_no_report(watch({"documented_reset"}), "reset: 0\n");
}

TEST(Watch, TheRuntimeWaitingOnACreatedContextsStreamAfterItsSwitchIsNamedByTheWait) {
  for (const auto& [wait, id] : std::vector<std::pair<std::string, std::string>>{
           {"stream_query", "cudaStreamQuery"}, {"stream_synchronize", "cudaStreamSynchronize"}, {"event_query", "cudaEventQuery"}}) {
    SCOPED_TRACE(wait);
    const Watched w = watch({"runtime_waits_after_switch", wait});
    ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
    EXPECT_EQ(case_ids(w.reports),
              (std::vector<std::string>{"runtime_first.cudaSetDevice_replaces_a_pushed_created_context",
                                        "switched_contexts.runtime_waits_for_a_created_context_stream_after_cudaSetDevice." + id}))
        << w.reports.dump(2);
  }
}

// cuLaunchKernel of a context-less CUkernel takes its context "from the specified stream": a handle the
// program did not get from cuModuleGetFunction is not checked against the current context.
TEST(Watch, AContextLessKernelLaunchedIntoAnotherContextsStreamIsNotReported) {
  expect_no_report(watch({"context_less_kernel_on_a_created_stream"}), "launch: 0\n");
}

TEST(Watch, EachProcessReportsUnderItsOwnPid) {
  const Watched forked = watch({"fork_after_driver_init"});
  expect_one(forked, "cuda_used_in_forked_child", "fork.child_of_a_driver_initialized_parent");
  const std::string child = forked.ran.out.substr(forked.ran.out.find("child: ") + 7);
  EXPECT_EQ(forked.reports["hazards"][0].value("pid", 0), std::stoi(child));
  EXPECT_EQ(forked.reports["hazards"][0].value("tid", 0), std::stoi(child));
  const Watched exec = watch({"exec_child"});
  EXPECT_EQ(exec.reports["processes"].size(), 2u);
  expect_one(exec, "primary_released_by_non_retainer",
             "lifecycle.cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary");
  EXPECT_EQ(exec.reports["hazards"][0].value("pid", 0), std::stoi(exec.ran.out.substr(exec.ran.out.find("child: ") + 7)));
}

// A child of a runtime-initialized parent whose only driver call asks for the current context (the
// runtime refuses its own calls there before reaching the driver): cuCtxGetCurrent is watched in it.
TEST(Watch, AForkedChildsQuestionOfTheCurrentContextIsAUse) {
  const Watched forked = watch({"fork_after_runtime_init"});
  expect_one(forked, "cuda_used_in_forked_child", "fork.child_of_a_runtime_initialized_parent");
  EXPECT_EQ(forked.reports["hazards"][0].value("function", ""), "cuCtxGetCurrent");
  EXPECT_EQ(forked.reports["hazards"][0].value("pid", 0), std::stoi(forked.ran.out.substr(forked.ran.out.find("child: ") + 7)));
}

// For finding which driver calls a runtime or library call makes: every watched call as a record.
TEST(Watch, EveryWatchedCallIsARecordWhenAsked) {
  TempDir out;
  const std::string interposer_dir = std::string(WATCH_DRIVER).substr(0, std::string(WATCH_DRIVER).rfind('/'));
  const std::map<std::string, std::string> env = {{"LD_LIBRARY_PATH", interposer_dir},
                                                  {"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver},
                                                  {"CTXSHARE_WATCH_OUT", out.path}};
  auto calls = [&](const Ran& ran) {
    std::vector<std::string> seen;
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    std::stringstream lines(read_file(out.file(std::to_string(std::stoi(ran.out.substr(ran.out.find("pid: ") + 5))) + ".jsonl")));
    for (std::string line; std::getline(lines, line);) {
      const auto record = nlohmann::json::parse(line);
      if (record.value("event", "") == "call")
        seen.push_back(record.value("function", "") + "=" + std::to_string(record.value("result", -1)));
    }
    return seen;
  };
  auto with_calls = env;
  with_calls["CTXSHARE_WATCH_CALLS"] = "1";
  EXPECT_EQ(calls(run({WATCH_PROBE, "no_context_pid"}, with_calls)), (std::vector<std::string>{"cuInit=0", "cuMemAlloc_v2=201"}));
  EXPECT_TRUE(calls(run({WATCH_PROBE, "no_context_pid"}, env)).empty());
}

TEST(Watch, AHazardIsReportedOncePerSite) {
  EXPECT_EQ(watch({"repeated"}).reports["hazards"].size(), 1u);
}

TEST(Watch, ExitStatusOutputAndSignalsPassThrough) {
  const Watched w = watch({"exit", "3"});
  EXPECT_EQ(w.ran.exit_code, 3);
  EXPECT_EQ(w.ran.out, "to stdout\n");
  EXPECT_EQ(w.ran.err.rfind("to stderr\n", 0), 0u) << w.ran.err;  // the program's first, then watch's
  const Watched crashed = watch({"crash_after_hazard"});
  EXPECT_EQ(crashed.ran.exit_code, -1);  // killed by a signal, as the program was
  EXPECT_EQ(crashed.reports["exit"].value("signal", ""), "SIGSEGV");
  EXPECT_EQ(crashed.reports["hazards"].size(), 1u);  // written before the crash
  EXPECT_NE(crashed.ran.err.find("killed by SIGSEGV"), std::string::npos);
}

TEST(Watch, FailOnTurnsAReportAtOrAboveTheLevelIntoExit97) {
  EXPECT_EQ(watch({"unbalanced_release"}, {"--fail-on", "error"}).ran.exit_code, 97);
  EXPECT_EQ(watch({"no_context"}, {"--fail-on", "error"}).ran.exit_code, 0);  // a warning
  EXPECT_EQ(watch({"no_context"}, {"--fail-on", "warning"}).ran.exit_code, 97);
  EXPECT_EQ(watch({"clean"}, {"--fail-on", "warning"}).ran.exit_code, 0);
}

TEST(Watch, BadInputIsOneLineAndExit2) {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {CTXSHARE_EXE, "watch"},
           {CTXSHARE_EXE, "watch", "--", "/nonexistent/program"},
           {CTXSHARE_EXE, "watch", "--fail-on", "fatal", "--", WATCH_PROBE, "clean"}}) {
    const Ran r = run(argv, {{"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver}});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const Ran no_driver = run({CTXSHARE_EXE, "watch", "--", WATCH_PROBE, "clean"}, {{"CTXSHARE_WATCH_REAL_DRIVER", "/nonexistent/libcuda.so.1"}});
  EXPECT_EQ(no_driver.exit_code, 2);
}

// `run --watch`: each case's process under the interposer, its reports in its result and its console
// line. The self-test case performs a hazard against the fake driver; selftest.passes loads no driver.
struct WatchedRun {
  Ran ran;
  nlohmann::json results;
  const nlohmann::json* result_of(const std::string& id) const {
    for (const auto& c : results["cases"])
      if (c.value("id", "") == id) return &c;
    return nullptr;
  }
};

WatchedRun run_watched(const TempDir& dir) {
  WatchedRun w;
  w.ran = run({CTXSHARE_SELFTEST_EXE, "run", "--watch", "--reruns", "0", "--json", dir.file("run.json"),
               "selftest.uses_a_stream_of_a_destroyed_context", "selftest.passes"},
              {{"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver}});
  w.results = nlohmann::json::parse(read_file(dir.file("run.json")), nullptr, false);
  return w;
}

TEST(RunWatch, EachCasesReportsGoIntoItsResultAndItsConsoleLine) {
  TempDir dir;
  const WatchedRun w = run_watched(dir);
  ASSERT_EQ(w.ran.exit_code, 0) << w.ran.out << w.ran.err;
  ASSERT_FALSE(w.results.is_discarded()) << w.ran.out;
  const auto* hazard = w.result_of("selftest.uses_a_stream_of_a_destroyed_context");
  ASSERT_NE(hazard, nullptr);
  EXPECT_EQ(hazard->value("outcome", ""), "passed") << hazard->dump(2);
  const auto& watch = (*hazard)["watch"];
  EXPECT_TRUE(watch.value("loaded", false)) << watch.dump(2);
  ASSERT_EQ(watch["processes"].size(), 1u);
  EXPECT_EQ(watch["processes"][0].value("driver", ""), kFakeDriver);
  ASSERT_EQ(watch["hazards"].size(), 1u) << watch.dump(2);
  EXPECT_EQ(watch["hazards"][0].value("hazard", ""), "object_of_destroyed_context");
  EXPECT_EQ(watch["hazards"][0].value("key", ""), "program:cuStreamQuery/program:cuStreamCreate");
  const std::string shown_by = "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cuStreamQuery";
  EXPECT_EQ(watch["hazards"][0].value("case", ""), shown_by);
  EXPECT_NE(w.ran.out.find("    watch: 1 report: object_of_destroyed_context -> " + shown_by + "\n"), std::string::npos) << w.ran.out;
  // A case that never loads the driver: watched, nothing loaded, nothing reported.
  const auto* quiet = w.result_of("selftest.passes");
  ASSERT_NE(quiet, nullptr);
  EXPECT_FALSE((*quiet)["watch"].value("loaded", true));
  EXPECT_TRUE((*quiet)["watch"]["hazards"].empty());
}

TEST(RunWatch, ScoreWatchSaysWhereEachHazardCaseStands) {
  TempDir dir;
  const WatchedRun w = run_watched(dir);
  ASSERT_EQ(w.ran.exit_code, 0) << w.ran.out << w.ran.err;
  const Ran scored = run({CTXSHARE_EXE, "score-watch", dir.file("run.json"), "--json", dir.file("score.json")});
  EXPECT_EQ(scored.exit_code, 1) << scored.out << scored.err;  // the self-test's hazard is reported with another id
  EXPECT_NE(scored.out.find("hazard cases reported with their own id: 0/1\n"), std::string::npos) << scored.out;
  EXPECT_NE(scored.out.find("hazard cases reported only with other ids: 1\n  selftest.uses_a_stream_of_a_destroyed_context: "
                            "object_of_destroyed_context -> lifecycle."),
            std::string::npos)
      << scored.out;
  EXPECT_NE(scored.out.find("passing conformance cases with a report (false alarms): 0 of 1\n"), std::string::npos) << scored.out;
  const auto score = nlohmann::json::parse(read_file(dir.file("score.json")), nullptr, false);
  ASSERT_FALSE(score.is_discarded());
  EXPECT_EQ(score["reported_with_other_ids"][0].value("id", ""), "selftest.uses_a_stream_of_a_destroyed_context");
  const std::string last_line = score.value("summary", "") + "\n";
  EXPECT_TRUE(scored.out.ends_with(last_line)) << scored.out;
}

TEST(RunWatch, ScoreSortsRecalledMissedFalseAndSelfReported) {
  auto watched = [](const std::vector<std::string>& named) {
    nlohmann::json hazards = nlohmann::json::array();
    for (const auto& id : named) hazards.push_back({{"hazard", "h"}, {"case", id}, {"key", "k"}});
    // A row naming a case, also one done on purpose, and one indistinguishable from it.
    if (named.size() == 1 && named[0] == "f.row")
      hazards[0]["cases"] = {"f.row", "f.on_purpose_too"}, hazards[0]["indistinguishable"] = {"f.alike"};
    return nlohmann::json{{"loaded", true}, {"processes", {{{"loaded", true}}}}, {"hazards", hazards}};
  };
  auto entry = [&](const std::string& id, const std::string& kind, const std::string& outcome, const std::vector<std::string>& named) {
    return nlohmann::json{{"id", id}, {"outcome", outcome}, {"case", {{"kind", kind}}}, {"watch", watched(named)}};
  };
  const nlohmann::json results = {{"cases",
                                   {entry("f.recalled", "hazard", "passed", {"f.other", "f.recalled"}),
                                    entry("f.elsewhere", "hazard", "crashed", {"f.other"}),
                                    entry("f.silent", "hazard", "passed", {}),
                                    entry("f.skipped", "hazard", "skipped", {}),
                                    entry("f.clean", "conformance", "passed", {}),
                                    entry("f.alarm", "conformance", "passed", {""}),
                                    entry("f.on_purpose", "conformance", "passed", {"f.on_purpose"}),
                                    entry("f.on_purpose_too", "conformance", "passed", {"f.row"}),
                                    entry("f.alike", "hazard", "passed", {"f.row"}),
                                    entry("f.skipped_too", "conformance", "skipped", {}),
                                    entry("f.failing", "conformance", "failed", {"f.other"}),
                                    entry("f.quiet", "hazard", "passed", {}),
                                    entry("f.quiet_but_reported", "hazard", "passed", {"f.quiet_but_reported"}),
                                    {{"id", "f.unwatched"}, {"outcome", "passed"}, {"case", {{"kind", "conformance"}}}}}}};
  // Declared silent: a correct program's calls. A report there, even with the case's own id, is a false alarm.
  const auto score = ctxshare::score_watch_run(results, {{"f.quiet", "why f.quiet"}, {"f.quiet_but_reported", "why"}});
  EXPECT_EQ(score["hazard_cases"], 6);
  EXPECT_EQ(score["skipped"], 2);
  ASSERT_EQ(score["recalled_as_indistinguishable"].size(), 1u);
  EXPECT_EQ(score["recalled_as_indistinguishable"][0]["id"], "f.alike");
  EXPECT_EQ(score["recalled"], nlohmann::json({"f.recalled"}));
  EXPECT_EQ(score["reported_with_other_ids"][0]["id"], "f.elsewhere");
  EXPECT_EQ(score["not_reported"], nlohmann::json({"f.silent"}));
  EXPECT_EQ(score["conformance_passed"], 4);
  ASSERT_EQ(score["false_alarms"].size(), 1u);
  EXPECT_EQ(score["false_alarms"][0]["id"], "f.alarm");
  EXPECT_EQ(score["self_reported"], nlohmann::json({"f.on_purpose", "f.on_purpose_too"}));
  EXPECT_EQ(score["unwatched"], nlohmann::json({"f.unwatched"}));
  EXPECT_EQ(score["silent_as_declared"], nlohmann::json::parse(R"([{"id": "f.quiet", "why": "why f.quiet"}])"));
  ASSERT_EQ(score["declared_silent_but_reported"].size(), 1u);
  EXPECT_EQ(score["declared_silent_but_reported"][0]["id"], "f.quiet_but_reported");
  EXPECT_FALSE(score["ok"].get<bool>());
  EXPECT_EQ(score["summary"],
            "watch recall 1/6 hazard cases with their own id (1 more named as indistinguishable, 1 with other ids, 1 not "
            "reported, 1 a correct program's calls and silent as declared); 1 false alarms in 4 passing conformance cases "
            "and 1 in 2 hazard cases declared silent; 2 skipped cases left out");
  const std::string text = ctxshare::format_watch_score(score);
  EXPECT_NE(text.find("silent as declared: 1\n  f.quiet: why f.quiet\n"), std::string::npos) << text;
  EXPECT_NE(text.find("declared silent but reported (false alarms): 1\n  f.quiet_but_reported: h -> f.quiet_but_reported\n"),
            std::string::npos)
      << text;
}

// A run where every hazard case is recalled or silent as declared, with no false alarm, is ok; a report on a
// case declared silent alone makes it not ok.
TEST(RunWatch, SilenceWhereDeclaredCountsAndAReportThereFails) {
  auto results = [](const std::vector<std::string>& on_quiet) {
    nlohmann::json hazards = nlohmann::json::array();
    for (const auto& id : on_quiet) hazards.push_back({{"hazard", "h"}, {"case", id}, {"key", "k"}});
    auto watch = [](nlohmann::json h) { return nlohmann::json{{"loaded", true}, {"processes", {{{"loaded", true}}}}, {"hazards", h}}; };
    return nlohmann::json{{"cases",
                           {{{"id", "f.recalled"}, {"outcome", "passed"}, {"case", {{"kind", "hazard"}}},
                             {"watch", watch({{{"hazard", "h"}, {"case", "f.recalled"}, {"key", "k"}}})}},
                            {{"id", "f.quiet"}, {"outcome", "passed"}, {"case", {{"kind", "hazard"}}}, {"watch", watch(hazards)}}}}};
  };
  const std::map<std::string, std::string> silent = {{"f.quiet", "a correct program"}};
  EXPECT_TRUE(ctxshare::score_watch_run(results({}), silent)["ok"].get<bool>());
  EXPECT_FALSE(ctxshare::score_watch_run(results({"f.quiet"}), silent)["ok"].get<bool>());
  EXPECT_FALSE(ctxshare::score_watch_run(results({}), {})["ok"].get<bool>());  // undeclared, it is not reported
}

TEST(RunWatch, WithoutARealDriverItIsOneLineAndExit2) {
  const Ran r = run({CTXSHARE_SELFTEST_EXE, "run", "--watch", "selftest.passes"},
                    {{"CTXSHARE_WATCH_REAL_DRIVER", "/nonexistent/libcuda.so.1"}});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("run --watch: "), std::string::npos) << r.err;
}

// Every symbol of the toolkit's stub is exported by the interposer, and nothing else: a program linked
// with -lcuda finds all it links against.
TEST(Watch, TheInterposerExportsExactlyTheStubsSymbols) {
  auto symbols = [](const std::string& lib) {
    std::set<std::string> names;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("nm -D --defined-only " + lib).c_str(), "r"), pclose);
    char line[512];
    while (p && std::fgets(line, sizeof line, p.get()) != nullptr) {
      std::string text = line;
      text = text.substr(text.rfind(' ') + 1);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      names.insert(text);
    }
    return names;
  };
  const auto stub = symbols(CUDA_DRIVER_STUB), ours = symbols(WATCH_DRIVER);
  EXPECT_GT(stub.size(), 400u);
  EXPECT_EQ(ours, stub);
}

// What the runtime API injection tells the interposer (`--runtime-api`), told here by the probe as the
// injection would: CUPTI needs a real driver. cudaDeviceReset with a created context current makes no
// driver call that shows it; the runtime call itself does.
TEST(Watch, ARuntimeResetAskedWithACreatedContextCurrentIsSeenInTheRuntimeCall) {
  const Watched w = watch({"runtime_api", "created"});
  EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
  ASSERT_NO_FATAL_FAILURE(expect_one(w, "runtime_reset_under_created_context", "lifecycle.created_context_survives_cudaDeviceReset"));
  const auto& h = w.reports["hazards"][0];
  EXPECT_EQ(h.value("key", ""), "runtime:cudaDeviceReset/created_current");
  EXPECT_EQ(h.value("function", ""), "cudaDeviceReset");
  EXPECT_EQ(h.value("runtime_call", ""), "cudaDeviceReset");
  EXPECT_NE(w.ran.err.find("inside the runtime API call cudaDeviceReset\n"), std::string::npos) << w.ran.err;
  EXPECT_NE(w.ran.err.find("runtime API calls followed (--runtime-api) in 1 of them\n"), std::string::npos) << w.ran.err;
  ASSERT_EQ(w.reports["processes"].size(), 1u);
  EXPECT_TRUE(w.reports["processes"][0].value("runtime_api", false)) << w.reports.dump(2);
}

TEST(Watch, ARuntimeResetWithThePrimaryCurrentIsNotReported) {
  expect_no_report(watch({"runtime_api", "primary"}), "runtime_api: primary\n");
}

TEST(Watch, AReportMadeInsideARuntimeCallNamesIt) {
  const Watched w = watch({"runtime_api", "stale_stream"});
  EXPECT_EQ(w.ran.exit_code, 0) << w.ran.err;
  ASSERT_FALSE(w.reports.is_discarded()) << w.ran.err;
  ASSERT_FALSE(w.reports["hazards"].empty()) << w.ran.err;
  for (const auto& h : w.reports["hazards"]) {
    if (h.value("function", "") != "cuStreamQuery") continue;
    EXPECT_EQ(h.value("runtime_call", ""), "cudaStreamQuery") << h.dump(2);
    return;
  }
  ADD_FAILURE() << "no report at the stale query: " << w.reports.dump(2);
}

// --runtime-api needs the injection beside the interposer, and the driver's one injection slot free.
TEST(Watch, RuntimeApiBadInputIsOneLineAndExit2) {
  TempDir dir;
  const std::string bare = dir.file("bare");
  std::filesystem::create_directories(bare);
  std::filesystem::copy_file(kWatchDir + "/libcuda.so.1", bare + "/libcuda.so.1");
  const std::map<std::string, std::string> env = {{"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver}};
  auto with = [&](std::map<std::string, std::string> more) { more.insert(env.begin(), env.end()); return more; };
  const Ran missing = run({CTXSHARE_EXE, "watch", "--runtime-api", "--", WATCH_PROBE, "clean"}, with({{"CTXSHARE_WATCH_DRIVER_DIR", bare}}));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  EXPECT_NE(missing.err.find("libctxshare_watch_runtime_api.so"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");  // the program never ran
  if (!std::filesystem::exists(kWatchDir + "/libctxshare_watch_runtime_api.so"))
    GTEST_SKIP() << "built without CUPTI: the injection's own checks need it";
  const Ran taken = run({CTXSHARE_EXE, "watch", "--runtime-api", "--", WATCH_PROBE, "clean"}, with({{"CUDA_INJECTION64_PATH", "/some/profiler.so"}}));
  EXPECT_EQ(taken.exit_code, 2) << taken.err;
  EXPECT_EQ(std::count(taken.err.begin(), taken.err.end(), '\n'), 1) << taken.err;
  EXPECT_NE(taken.err.find("CUDA_INJECTION64_PATH is set already (/some/profiler.so)"), std::string::npos) << taken.err;
  const Ran run_taken = run({CTXSHARE_SELFTEST_EXE, "run", "--watch", "--watch-runtime-api", "selftest.passes"},
                            with({{"CUDA_INJECTION64_PATH", "/some/profiler.so"}}));
  EXPECT_EQ(run_taken.exit_code, 2) << run_taken.err;
  EXPECT_NE(run_taken.err.find("run --watch: CUDA_INJECTION64_PATH is set already"), std::string::npos) << run_taken.err;
  const Ran without_watch = run({CTXSHARE_SELFTEST_EXE, "run", "--watch-runtime-api", "selftest.passes"});
  EXPECT_EQ(without_watch.exit_code, 2) << without_watch.err;
}

// Where the injection is built, the watched program starts with the driver told to load it (the fake
// driver does not: no CUPTI without a real one).
TEST(Watch, RuntimeApiHandsTheDriverTheInjection) {
  const std::string injection = kWatchDir + "/libctxshare_watch_runtime_api.so";
  if (!std::filesystem::exists(injection)) GTEST_SKIP() << "built without CUPTI";
  const Ran r = run({CTXSHARE_EXE, "watch", "--runtime-api", "--", "sh", "-c", "echo \"$CUDA_INJECTION64_PATH\""},
                    {{"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, injection + "\n");
  const Ran plain = run({CTXSHARE_EXE, "watch", "--", "sh", "-c", "echo \"${CUDA_INJECTION64_PATH:-none}\""},
                        {{"CTXSHARE_WATCH_REAL_DRIVER", kFakeDriver}});
  EXPECT_EQ(plain.out, "none\n");
}

// The table names only cases the suite has, and every hazard has its meaning.
TEST(Watch, EveryCaseTheTableNamesExists) {
  const Ran listed = run({CTXSHARE_EXE, "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> ids;
  for (const auto& c : nlohmann::json::parse(listed.out)) ids.insert(c.value("id", ""));
  std::set<std::string> explained;
  for (const auto& t : ctxshare::watch::kHazardTexts) explained.insert(t.hazard);
  for (const auto& row : ctxshare::watch::kHazardTable) {
    const std::string id = row.case_id;
    if (!id.empty()) {
      EXPECT_TRUE(ids.count(id)) << row.hazard << " names an unknown case " << id;
    }
    for (const char* list : {row.also_shown_by, row.indistinguishable_from}) {
      std::stringstream words(list);
      for (std::string other; words >> other;) EXPECT_TRUE(ids.count(other)) << row.hazard << " names an unknown case " << other;
      if (*list != '\0') {
        EXPECT_FALSE(id.empty()) << row.hazard << ": more cases without a first one";
      }
    }
    EXPECT_TRUE(explained.count(row.hazard)) << row.hazard << " has no text";
    EXPECT_TRUE(std::string(row.level) == "error" || std::string(row.level) == "warning") << row.hazard;
  }
}

// A case declared silent is a hazard case of the suite that no row names: silence and a report cannot both
// be what the table expects of it.
TEST(Watch, EveryCaseDeclaredSilentIsAHazardCaseNoRowNames) {
  const Ran listed = run({CTXSHARE_EXE, "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::map<std::string, std::string> kinds;
  for (const auto& c : nlohmann::json::parse(listed.out)) kinds[c.value("id", "")] = c.value("kind", "");
  std::set<std::string> named;
  for (const auto& row : ctxshare::watch::kHazardTable) {
    named.insert(row.case_id);
    for (const char* list : {row.also_shown_by, row.indistinguishable_from}) {
      std::stringstream words(list);
      for (std::string id; words >> id;) named.insert(id);
    }
  }
  std::set<std::string> seen;
  for (const auto& quiet : ctxshare::watch::kSilentCases) {
    const std::string id = quiet.case_id;
    EXPECT_EQ(kinds[id], "hazard") << id << " is declared silent but is not a hazard case of the suite";
    EXPECT_FALSE(named.count(id)) << id << " is declared silent and named by a row";
    EXPECT_TRUE(seen.insert(id).second) << id << " is declared twice";
    EXPECT_GT(std::string(quiet.why).size(), 20u) << id << " has no reason";
  }
}

// Coverage, for the lead to see (not a failure): the suite's hazard cases that no row of the table names.
TEST(Watch, HazardCasesWithoutARowAreCounted) {
  const Ran listed = run({CTXSHARE_EXE, "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> named;
  for (const auto& row : ctxshare::watch::kHazardTable) {
    named.insert(row.case_id);
    std::stringstream alike(row.indistinguishable_from);
    for (std::string id; alike >> id;) named.insert(id);
  }
  for (const auto& quiet : ctxshare::watch::kSilentCases) named.insert(quiet.case_id);  // silence is what they expect
  std::vector<std::string> without;
  int hazard_cases = 0;
  for (const auto& c : nlohmann::json::parse(listed.out)) {
    if (c.value("kind", "") != "hazard") continue;
    ++hazard_cases;
    if (!named.count(c.value("id", ""))) without.push_back(c.value("id", ""));
  }
  std::printf("watch table: %d of %d hazard cases have a row or are declared silent; neither (%zu):\n", hazard_cases - static_cast<int>(without.size()),
              hazard_cases, without.size());
  for (const auto& id : without) std::printf("  %s\n", id.c_str());
  EXPECT_GT(hazard_cases, 0);
}

}  // namespace
