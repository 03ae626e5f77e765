// What `ctxshare watch` reports, as data: each row maps a hazard the interposer detects, and the key
// it builds from what it saw (which component made the object, which call used it, ...), to the
// suite case that shows the same sequence. The first row whose key pattern matches (fnmatch) names the
// case; a hazard with no matching row is still reported, as shown by no case yet.
//
// Keys: a call is "<component>:<driver function>", the component being `runtime` (a pointer the
// program got from a cuGetProcAddress that was itself got through cuGetProcAddress, the CUDA runtime's
// and the CUDA libraries' way) or `program` (an exported symbol, or cuGetProcAddress called directly).
// New families add rows here; tests/watch_test.cpp checks that every case id named exists.
//
// Included by the interposer (watch/interposer.cpp, no C++ library beyond the C ABI) and by the
// report reader (harness/reports/watch.cpp).
#pragma once

namespace ctxshare::watch {

struct HazardRow {
  const char* hazard;   // the detector's name
  const char* key;      // fnmatch pattern over the key the detector builds
  const char* level;    // "error": a use of something dead or another component's; "warning": a misuse the program may survive
  const char* case_id;  // the suite case that shows it; "" where no case shows it yet
};

// What each hazard means, for the report and docs/watch.md.
struct HazardText {
  const char* hazard;
  const char* what;
};

inline constexpr HazardText kHazardTexts[] = {
    {"primary_released_by_non_retainer",
     "a component released a primary context it never retained, while another component holds it"},
    {"primary_reset_while_retained_elsewhere",
     "a component reset a primary context that another component still retains"},
    {"runtime_reset_under_created_context",
     "the runtime reset or released the primary context while the thread had a created context current"},
    {"object_of_destroyed_context", "a stream, event, module or allocation of a destroyed context was used"},
    {"object_of_reset_primary", "a stream, event, module or allocation of a primary context that was reset since was used"},
    {"runtime_switched_away_from_created_context",
     "the runtime made another context current while the thread had a created context current"},
    {"event_recorded_on_another_contexts_stream", "an event was recorded on a stream of another context than the event's"},
    {"stream_of_another_context", "work was enqueued on a stream of another context than the thread's current one"},
    {"no_current_context", "a driver call that needs a context was made on a thread with none current"},
    {"contexts_left_pushed_at_thread_exit", "a thread ended with contexts it pushed still on its stack"},
    {"cuda_used_in_forked_child", "a forked child called the driver after its parent had initialized CUDA"},
};

inline constexpr HazardRow kHazardTable[] = {
    // Primary context reference counts, per component.
    {"primary_released_by_non_retainer", "*", "error",
     "lifecycle.cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary"},
    {"primary_reset_while_retained_elsewhere", "runtime:*", "error",
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},
    {"primary_reset_while_retained_elsewhere", "*", "error", ""},
    {"runtime_reset_under_created_context", "*", "warning", "lifecycle.created_context_survives_cudaDeviceReset"},

    // Objects of a destroyed created context: the variant is the call that used them.
    {"object_of_destroyed_context", "runtime:cuStreamQuery+runtime:cuEventQuery", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery_then_cudaEventQuery"},
    {"object_of_destroyed_context", "runtime:cuStreamQuery", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery"},
    {"object_of_destroyed_context", "program:cuStreamQuery", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cuStreamQuery"},
    {"object_of_destroyed_context", "runtime:cuEventQuery", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaEventQuery"},
    {"object_of_destroyed_context", "runtime:cuMemsetD*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaMemset"},
    {"object_of_destroyed_context", "runtime:cuMemFree*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaFree"},
    {"object_of_destroyed_context", "*", "error", ""},

    // Objects of a reset primary: key "<made by>/<used by>/<before|after>_reinitialization".
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/after_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/before_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/after_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/before_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/program:cuStreamQuery/after_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/program:cuStreamQuery/before_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/runtime:cuStreamQuery/after_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/runtime:cuStreamQuery/before_reinitialization", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuMemAlloc*/program:cuMemsetD*", "error",
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},
    {"object_of_reset_primary", "*", "error", ""},

    // Streams and events across contexts.
    {"event_recorded_on_another_contexts_stream", "program:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cuEventRecord"},
    {"event_recorded_on_another_contexts_stream", "runtime:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cudaEventRecord"},
    {"stream_of_another_context", "runtime:cuMemcpy*Async*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cudaMemcpyAsync"},
    {"stream_of_another_context", "program:cuMemcpyHtoDAsync*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cuMemcpyHtoDAsync"},
    {"stream_of_another_context", "*:cuLaunchKernel", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.kernel_launch"},
    {"stream_of_another_context", "*", "warning", ""},

    // Threads, switching and teardown: the families no_current_context, switched_contexts and
    // teardown add their case ids here.
    {"runtime_switched_away_from_created_context", "*", "warning", ""},
    {"no_current_context", "*", "warning", ""},
    {"contexts_left_pushed_at_thread_exit", "*", "warning", ""},

    // fork(): which API had initialized the parent.
    {"cuda_used_in_forked_child", "runtime", "error", "fork.child_of_a_runtime_initialized_parent"},
    {"cuda_used_in_forked_child", "program", "error", "fork.child_of_a_driver_initialized_parent"},
};

}  // namespace ctxshare::watch
