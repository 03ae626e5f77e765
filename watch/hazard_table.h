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
    {"call_after_runtime_teardown",
     "a driver call after the runtime released its last retain of the primary context (its teardown at exit): an exit "
     "handler registered before the runtime started, or a static destructor"},
};

// Keys, by hazard (the first matching row wins; fnmatch's * crosses '/'):
//   primary_released_by_non_retainer   <component>:<release>/<never_retained | released_more_than_retained |
//                                       retain_lost_to_reset/<the reset's component:function>>
//   object_of_destroyed_context         <use>/<maker>, a second stale use <first use>+<use>/<maker>
//   object_of_reset_primary             <maker>/<use>/<before|after>_reinitialization/<what ended it: the
//                                       reset or the release to zero, component:function>
//   stream_of_another_context           <use>[/after_runtime_switch: the runtime had replaced a created context]
//   call_after_runtime_teardown, no_current_context, event_recorded_...: <use>
// Where cases differ only by what happens after the detected call (the value a later call returns),
// the row names the closest case: primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary
// has three variants that differ only in the runtime call made after the second release, which is
// where the detector fires; the row names the first.
inline constexpr HazardRow kHazardTable[] = {
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/runtime:*", "error",
     "primary_refcount.component_releases_after_a_reset_the_runtime_recovered_from.cudaDeviceReset"},
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/program:*", "error",
     "primary_refcount.component_releases_after_a_reset_the_runtime_recovered_from.cuDevicePrimaryCtxReset"},
    {"primary_released_by_non_retainer", "*/released_more_than_retained", "error",
     "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.cudaMalloc_of_a_new_allocation"},
    {"primary_released_by_non_retainer", "*", "error",
     "lifecycle.cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary"},
    {"primary_reset_while_retained_elsewhere", "runtime:*", "error",
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},
    {"primary_reset_while_retained_elsewhere", "*", "error",
     ""},
    {"runtime_reset_under_created_context", "*", "warning",
     "lifecycle.created_context_survives_cudaDeviceReset"},
    {"object_of_destroyed_context", "runtime:cuStreamQuery+runtime:cuEventQuery/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery_then_cudaEventQuery"},
    {"object_of_destroyed_context", "runtime:cuStreamQuery/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery"},
    {"object_of_destroyed_context", "program:cuStreamQuery/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cuStreamQuery"},
    {"object_of_destroyed_context", "runtime:cuEventQuery/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaEventQuery"},
    {"object_of_destroyed_context", "runtime:cuMemsetD*/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaMemset"},
    {"object_of_destroyed_context", "runtime:cuMemFree*/*", "error",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaFree"},
    {"object_of_destroyed_context", "program:cuStreamSynchronize/runtime:*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cuCtxDestroy"},
    {"object_of_destroyed_context", "runtime:cuStreamSynchronize/program:*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.driver.cuCtxDestroy"},
    {"object_of_destroyed_context", "runtime:cuStreamDestroy*/runtime:*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuCtxDestroy"},
    {"object_of_destroyed_context", "program:cuStreamDestroy*/program:*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.driver.cuCtxDestroy"},
    {"object_of_destroyed_context", "program:cuModuleGetFunction/*", "error",
     "stale_objects.module_used_after_cuCtxDestroy_of_its_context.cuModuleGetFunction"},
    {"object_of_destroyed_context", "program:cuModuleUnload/*", "error",
     "stale_objects.module_used_after_cuCtxDestroy_of_its_context.cuModuleUnload"},
    {"object_of_destroyed_context", "*:cuLaunchKernel/program:cuModule*", "error",
     "stale_objects.module_used_after_cuCtxDestroy_of_its_context.cuLaunchKernel_of_its_function"},
    {"object_of_destroyed_context", "program:cuEventSynchronize/runtime:*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cuEventSynchronize"},
    {"object_of_destroyed_context", "runtime:cuEventDestroy*/runtime:*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cudaEventDestroy"},
    {"object_of_destroyed_context", "runtime:cuEventRecord/runtime:*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cudaEventRecord"},
    {"object_of_destroyed_context", "*", "error",
     ""},
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/before_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/before_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/program:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/program:cuStreamQuery/before_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/runtime:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "program:cuStreamCreate/runtime:cuStreamQuery/before_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "program:cuMemAlloc*/program:cuMemsetD*/*", "error",
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},
    {"object_of_reset_primary", "runtime:*/program:cuStreamSynchronize/*/program:cuDevicePrimaryCtxRelease*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"},
    {"object_of_reset_primary", "program:*/runtime:cuStreamSynchronize/*/program:cuDevicePrimaryCtxRelease*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.driver.cuDevicePrimaryCtxRelease"},
    {"object_of_reset_primary", "runtime:*/runtime:cuStreamDestroy*/*/program:cuDevicePrimaryCtxRelease*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"},
    {"object_of_reset_primary", "program:*/program:cuStreamDestroy*/*/program:cuDevicePrimaryCtxRelease*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.driver.cuDevicePrimaryCtxRelease"},
    {"object_of_reset_primary", "runtime:*/program:cuStreamSynchronize/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cuDevicePrimaryCtxReset"},
    {"object_of_reset_primary", "program:*/runtime:cuStreamSynchronize/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.driver.cuDevicePrimaryCtxReset"},
    {"object_of_reset_primary", "runtime:*/runtime:cuStreamDestroy*/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxReset"},
    {"object_of_reset_primary", "program:*/program:cuStreamDestroy*/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.driver.cuDevicePrimaryCtxReset"},
    {"object_of_reset_primary", "runtime:*/program:cuStreamSynchronize/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cudaDeviceReset"},
    {"object_of_reset_primary", "program:*/runtime:cuStreamSynchronize/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.driver.cudaDeviceReset"},
    {"object_of_reset_primary", "runtime:*/runtime:cuStreamDestroy*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cudaDeviceReset"},
    {"object_of_reset_primary", "program:*/program:cuStreamDestroy*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.driver.cudaDeviceReset"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/program:cuMemFree*/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cuDevicePrimaryCtxReset.cuMemFree"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/runtime:cuMemFree*/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cuDevicePrimaryCtxReset.cudaFree"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/runtime:cuMemcpy*/*/program:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cuDevicePrimaryCtxReset.cudaMemcpy_to_host"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/program:cuMemFree*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cudaDeviceReset.cuMemFree"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/runtime:cuMemFree*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cudaDeviceReset.cudaFree"},
    {"object_of_reset_primary", "runtime:cuMemAlloc*/runtime:cuMemcpy*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.runtime_allocation_used_after_its_primary_was_reset.cudaDeviceReset.cudaMemcpy_to_host"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/program:cuEventSynchronize/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cuEventSynchronize"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventDestroy*/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventDestroy"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventRecord/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventRecord"},
    {"object_of_reset_primary", "*", "error",
     ""},
    {"event_recorded_on_another_contexts_stream", "program:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cuEventRecord"},
    {"event_recorded_on_another_contexts_stream", "runtime:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cudaEventRecord"},
    {"stream_of_another_context", "runtime:cuMemcpy*Async*/after_runtime_switch", "warning",
     "switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.cudaMemcpyAsync"},
    {"stream_of_another_context", "runtime:cuLaunchKernel/after_runtime_switch", "warning",
     "switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.kernel_launch"},
    {"stream_of_another_context", "runtime:cuMemcpy*Async*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cudaMemcpyAsync"},
    {"stream_of_another_context", "program:cuMemcpyHtoDAsync*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cuMemcpyHtoDAsync"},
    {"stream_of_another_context", "*:cuLaunchKernel*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.kernel_launch"},
    {"stream_of_another_context", "*", "warning",
     ""},
    {"runtime_switched_away_from_created_context", "*", "warning",
     ""},
    {"no_current_context", "program:cuMemcpyDtoH*", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpyDtoH"},
    {"no_current_context", "program:cuMemcpyHtoD*", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpyHtoD"},
    {"no_current_context", "*", "warning",
     ""},
    {"contexts_left_pushed_at_thread_exit", "*", "warning",
     ""},
    {"call_after_runtime_teardown", "runtime:cuStreamDestroy*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaStreamDestroy"},
    {"call_after_runtime_teardown", "runtime:cuEventDestroy*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaEventDestroy"},
    {"call_after_runtime_teardown", "runtime:cuMemFree*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaFree"},
    {"call_after_runtime_teardown", "program:cuDevicePrimaryCtxRelease*", "error",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuDevicePrimaryCtxRelease"},
    {"call_after_runtime_teardown", "program:cuMemFree*", "error",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuMemFree"},
    {"call_after_runtime_teardown", "program:cuStreamDestroy*", "error",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuStreamDestroy"},
    {"call_after_runtime_teardown", "program:cuCtxDestroy*", "error",
     "teardown.created_context_destroyed_from_an_exit_handler.before_the_runtime_starts"},
    {"call_after_runtime_teardown", "*", "warning",
     ""},
    {"cuda_used_in_forked_child", "runtime", "error",
     "fork.child_of_a_runtime_initialized_parent"},
    {"cuda_used_in_forked_child", "program", "error",
     "fork.child_of_a_driver_initialized_parent"},
};

}  // namespace ctxshare::watch
