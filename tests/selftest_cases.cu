// Cases that misbehave on purpose, for the harness tests: they crash, hang, abort, exit early, flood
// their output, throw, and fail checks, all without a GPU. They live in their own executable
// (ctxshare_selftest) and never in the conformance list.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "harness/case/case.h"

namespace ctxshare {
namespace {

constexpr Needs kNoGpu{.devices = 0};

// A call the trace records as the driver's, without a driver.
CUresult fake_call(const char* name, CUresult result = CUDA_SUCCESS) {
  trace::Call call(trace::Api::driver, name);
  return finish_driver_call(call, result);
}

double wall_clock() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

CTXSHARE_AXIS(Sleeper, a, b, c, d);

}  // namespace

CTXSHARE_CASE(selftest, passes, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFakeCall"));
  h.expect_eq("one and one", 1 + 1, 2);
}

CTXSHARE_CASE(selftest, records_mismatch, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  h.expect_eq("the answer", 41, 42);
  h.observe("went_on_after_the_mismatch", true);
}

CTXSHARE_CASE(selftest, segfaults, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFakeCall"));
  trace::Call crashing(trace::Api::driver, "cuCrashingCall");
  raise(SIGSEGV);
}

CTXSHARE_CASE(selftest, hangs, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu, .timeout_s = 2}) {
  CU(fake_call("cuFakeCall"));
  trace::Call hanging(trace::Api::driver, "cuHangingCall");
  for (;;) pause();
}

CTXSHARE_CASE(selftest, aborts, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFakeCall"));
  std::abort();
}

CTXSHARE_CASE(selftest, exits_early, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFakeCall"));
  std::exit(3);
}

CTXSHARE_CASE(selftest, floods_output, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  std::string line(1023, 'x');
  line.push_back('\n');
  for (int i = 0; i < 20 * 1024; ++i) std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
  int calls = 0;
  for (; calls < 50000; ++calls) CU(fake_call("cuFakeCall"));
  std::printf("the last line of the flood\n");
  h.expect_eq("calls made", calls, 50000);
}

CTXSHARE_CASE(selftest, throws, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  throw std::runtime_error("something the case did not expect");
}

CTXSHARE_CASE(selftest, failed_call_stops_the_case, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFailingCall", CUDA_ERROR_INVALID_CONTEXT));
  h.observe("unreachable", true);
}

CTXSHARE_CASE(selftest, documented_error_that_succeeds,
              {.claims = {"SELFTEST"}, .source = "harness", .verdict = Verdict::fails,
               .expected_error = "CUDA_ERROR_INVALID_CONTEXT", .needs = kNoGpu}) {
  EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, fake_call("cuShouldFail"));
  EXPECT_ERROR(CUDA_ERROR_INVALID_CONTEXT, fake_call("cuFailsDifferently", CUDA_ERROR_INVALID_VALUE));
}

CTXSHARE_CASE(selftest, needs_a_gpu, {.claims = {"SELFTEST"}, .source = "harness"}) {
  h.observe("ran_without_a_driver", true);
}

CTXSHARE_CASE(selftest, needs_two_gpus, {.claims = {"SELFTEST"}, .source = "harness", .needs = {.devices = 2}}) {}

// For `run --watch` without a GPU: against whatever driver loads (in the tests, the fake driver of
// tests/watch/ behind the interposer), uses a stream of a context destroyed since, a hazard the
// interposer reports. Skipped where no driver initializes.
CTXSHARE_CASE(selftest, uses_a_stream_of_a_destroyed_context,
              {.claims = {"SELFTEST"}, .source = "harness", .verdict = Verdict::hazard, .needs = kNoGpu}) {
  const DriverInfo& driver = load_driver();
  if (!driver.initialized) h.skip("no driver: " + driver.problem);
  CUcontext created = nullptr;
  CU(cuCtxCreate(&created, nullptr, 0, 0));
  CUstream stream = nullptr;
  CU(cuStreamCreate(&stream, CU_STREAM_DEFAULT));
  CU(cuCtxDestroy(created));
  h.observe_result("cuStreamQuery on a stream of the destroyed context", cuStreamQuery(stream));
}

// For `ctxshare mutate` without a GPU (tests/mutate_test.cpp): asks the driver its version again and
// checks the answer against the one it gave at load; a changed answer fails the case, a skipped
// cuInit (which the fake driver ignores) does not. Skipped where no driver initializes.
CTXSHARE_CASE(selftest, driver_version_is_stable, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  const DriverInfo& driver = load_driver();
  if (!driver.initialized) h.skip("no driver: " + driver.problem);
  int version = 0;
  CU(cuDriverGetVersion(&version));
  h.expect_eq("cuDriverGetVersion now and at load", driver.version, version);
}

// For the GPU spreading tests: one-device cases the scheduler hands a GPU each (they skip here).
CTXSHARE_CASE(selftest, needs_one_gpu_each, {.claims = {"SELFTEST"}, .source = "harness", .axes = {axis<Sleeper>()}}) {}

// A condition only the body can find out: skipped with its reason, never passed.
CTXSHARE_CASE(selftest, skips_at_run_time, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuDeviceCanAccessPeer"));
  h.skip("device 0 cannot access device 1");
  h.expect_eq("unreachable after a skip", 0, 1);
}

// Calls that all succeed and no check of what they did: an error, since such a pass proves nothing.
CTXSHARE_CASE(selftest, skips_on_a_thread, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  h.on_thread([&] { h.skip("found out on a thread of its own"); });
  h.expect(false, FindingKind::mismatch, "the case went on after its thread skipped");
}

CTXSHARE_CASE(selftest, makes_no_check, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  CU(fake_call("cuFakeCall"));
}

// A body that no toolkit yet compiles: compiled out, and the case skipped with the reason.
CTXSHARE_CASE(selftest, needs_a_newer_toolkit,
              {.claims = {"SELFTEST"}, .source = "harness", .needs = {.devices = 0, .min_toolkit = 99000}}) {
#if CUDART_VERSION >= 99000
  h.observe("compiled_in", true);
#endif
  h.expect_eq("a body compiled out does not run", 0, 1);
}

// Fails the first time it runs in a directory, passes after: a flake, for --reruns.
CTXSHARE_CASE(selftest, fails_once, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  const char* dir = std::getenv("CTXSHARE_SELFTEST_DIR");
  const std::string marker = std::string(dir != nullptr ? dir : ".") + "/fails_once.marker";
  const bool first = !std::ifstream(marker).good();
  if (first) std::ofstream(marker) << "ran\n";
  h.expect(!first, FindingKind::mismatch, "the first run fails");
}

CTXSHARE_CASE(selftest, reports_visible_devices, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  h.observe("CUDA_VISIBLE_DEVICES", visible != nullptr ? visible : "unset");
}

CTXSHARE_CASE(selftest, sets_its_own_environment, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu,
                                                   .environment = {{"CUDA_MODULE_LOADING", "EAGER"}}}) {
  h.observe("CUDA_MODULE_LOADING", std::getenv("CUDA_MODULE_LOADING"));
}

// Work left for exit (Case::at_exit): its calls, observations and findings reach the runner, the
// case's end waits for it, and each step runs where std::atexit's order puts it.
namespace {
bool g_registered_before_ran = false, g_registered_after_ran = false;
}  // namespace

CTXSHARE_CASE(selftest, observes_at_exit, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  std::atexit([] { g_registered_before_ran = true; });  // like a runtime initialized before the step
  h.at_exit("a call and an observation after main returns", [&h] {
    h.observe_result("cuFakeCallAtExit", fake_call("cuFakeCallAtExit"));
    h.observe("a handler registered before the step had run", g_registered_before_ran);
    h.observe("a handler registered after the step had run", g_registered_after_ran);
  });
  std::atexit([] { g_registered_after_ran = true; });
  CU(fake_call("cuFakeCall"));  // the body checks nothing: the step's observations are the case's checks
}

CTXSHARE_CASE(selftest, finds_at_exit, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  h.observe("the body ran", true);
  h.at_exit("a check that fails after main returns", [&h] { h.expect_eq("the answer at exit", 41, 42); });
}

CTXSHARE_CASE(selftest, segfaults_at_exit, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  h.observe("the body ran", true);
  h.at_exit("a call that crashes after main returns", [] {
    trace::Call crashing(trace::Api::driver, "cuCrashingCallAtExit");
    raise(SIGSEGV);
  });
}

// For the scheduling tests: each records when it ran, by the wall clock.
CTXSHARE_CASE(selftest, sleeps, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu,
                                 .axes = {axis<Sleeper>()}}) {
  h.observe("start", wall_clock());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  h.observe("end", wall_clock());
}

CTXSHARE_CASE(selftest, sleeps_alone, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu,
                                       .exclusive = true}) {
  h.observe("start", wall_clock());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  h.observe("end", wall_clock());
}

// Peers (harness/case/peer.h): a second process of this binary, whose observations, calls, findings
// and end come back to the case.
CTXSHARE_PEER(selftest, echo) {
  CU(fake_call("cuPeerCall"));
  h.observe("input", h.peer_input());
  h.tell_case("echo:" + h.peer_input());
  h.tell_case("got:" + h.wait_for_case());
}

CTXSHARE_PEER(selftest, crashes) {
  trace::Call crashing(trace::Api::driver, "cuPeerCrashingCall");
  raise(SIGSEGV);
}

CTXSHARE_PEER(selftest, hangs) {
  trace::Call hanging(trace::Api::driver, "cuPeerHangingCall");
  for (;;) pause();
}

CTXSHARE_PEER(selftest, finds) { h.expect_eq("the peer's answer", 41, 42); }

CTXSHARE_CASE(selftest, runs_a_peer, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu, .timeout_s = 30}) {
  Peer peer(h, "echo", "ab");
  h.expect_eq("the peer's first message", peer.receive().value_or("none"), std::string("echo:ab"));
  peer.send("go");
  h.expect_eq("the peer's answer to the case's message", peer.receive().value_or("none"), std::string("got:go"));
  h.expect_eq("a message after its last", peer.receive().value_or("none"), std::string("none"));
  h.expect(peer.wait().clean, FindingKind::mismatch, "the echoing peer ended cleanly");
  Peer crashing(h, "crashes", "");
  h.expect_eq("the signal that ended the crashing peer", crashing.wait().signal, SIGSEGV);
  Peer hanging(h, "hangs", "", {.timeout_s = 1});
  h.expect(hanging.wait().hung, FindingKind::mismatch, "the hanging peer was killed at its deadline");
}

// A peer whose input could not reach it: the case must fail, not go on without its peer.
CTXSHARE_CASE(selftest, peer_input_too_large_for_the_environment, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  Peer peer(h, "echo", std::string(100 * 1024, 'x'));
  peer.wait();
}

CTXSHARE_CASE(selftest, peer_finding_fails_the_case, {.claims = {"SELFTEST"}, .source = "harness", .needs = kNoGpu}) {
  Peer peer(h, "finds", "");
  peer.wait();
}

}  // namespace ctxshare
