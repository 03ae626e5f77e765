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
  // More cases that perform the same pattern, space-separated: conformance cases that do it on purpose
  // (a documented misuse, or a documented behaviour that is itself the risky pattern), so the report
  // names them too (score-watch lists them as reported on purpose, not as false alarms).
  const char* also_shown_by = "";
  // Hazard cases identical to case_id in every call the interposer sees (they differ only after the
  // last watched call, or in what they observe), space-separated: the report names them as
  // indistinguishable, and score-watch counts them as recalled that way, apart.
  const char* indistinguishable_from = "";
};

// What each hazard means, for the report and docs/watch.md.
struct HazardText {
  const char* hazard;
  const char* what;
};

inline constexpr HazardText kHazardTexts[] = {
    {"primary_released_by_non_retainer",
     "a component released a primary context it never retained, while another component holds it"},
    {"runtime_reset_under_created_context",
     "the runtime reset or released the primary context while the thread had a created context current"},
    {"object_of_destroyed_context", "a stream, event, module or allocation of a destroyed context was used"},
    {"object_of_reset_primary", "a stream, event, module or allocation of a primary context that was reset since was used"},
    {"runtime_switched_away_from_created_context",
     "the runtime made another context current while the thread had a created context current"},
    {"event_recorded_on_another_contexts_stream", "an event was recorded on a stream of another context than the event's"},
    {"stream_of_another_context",
     "work was enqueued on a stream of another context than the thread's current one, or the runtime waited for a stream "
     "or event of a created context after it made another context current"},
    {"no_current_context", "a driver call that needs a context was made on a thread with none current"},
    {"contexts_left_pushed_at_thread_exit", "a thread ended with contexts it pushed still on its stack"},
    {"cuda_used_in_forked_child", "a forked child called the driver after its parent had initialized CUDA"},
    {"ipc_handle_opened_in_its_exporting_process",
     "an interprocess memory or event handle was opened in the process that exported it (the IPC functions open "
     "handles exported from another process)"},
    {"ipc_handle_opened_through_the_other_api",
     "an interprocess handle exported through one API (the runtime's cudaIpcGet*Handle or the driver's cuIpcGet*Handle) "
     "was opened in another process through the other"},
    {"ipc_handle_opened_after_the_exporter_exited",
     "an interprocess handle was opened after the process that exported it had ended"},
    {"runtime_objects_left_in_an_ended_context",
     "a context was destroyed, reset or released to zero while streams or events the runtime made in it were not "
     "destroyed: the runtime's next call on one of them fails inside the runtime, before the driver"},
    {"call_after_runtime_teardown",
     "a driver call after the runtime released its last retain of the primary context (its teardown at exit): an exit "
     "handler registered before the runtime started, or a static destructor"},
    {"kernel_handle_of_the_other_kind",
     "a CUkernel (cuLibraryGetKernel, cudaGetKernel) given where a CUfunction is taken, or a CUfunction "
     "(cuModuleGetFunction, cuKernelGetFunction, cudaGetFuncBySymbol) where a CUkernel is"},
    {"module_loaded_beside_a_running_kernel",
     "kernel code was loaded (a module or library loaded, a function fetched, asked about or launched for the first "
     "time) on one thread while a kernel another thread launched was still running: under lazy loading the load may "
     "wait for that kernel, which never ends if it waits for work queued after it"},
    {"runtime_kernel_handle_refused",
     "the program launched with cuLaunchKernel a kernel handle the runtime gave it (cudaGetFuncBySymbol, cudaGetKernel) "
     "where it does not belong, and the driver refused it: a created context current, the primary context reset since, "
     "or no context current"},
    {"library_handle_of_another_context",
     "a CUDA library worked under another context than the one its handle (plan, generator) was made under: its launch "
     "was refused there, or it launched where it made none of its objects while holding live ones in another context"},
    {"library_handle_outlived_its_context",
     "a CUDA library handle (cuBLAS, cuFFT, cuRAND, cuSPARSE, cuSOLVER) outlived the context it was made in: the context "
     "was destroyed, reset or released while the handle was alive, or the handle was destroyed after that; what the "
     "library made in the context (events, workspace, plan memory) went with it"},
    {"stale_pointer_freed_a_new_allocation",
     "a pointer of a reset (or destroyed) context was freed after a new allocation received its address: the free "
     "released the new allocation, which was then used"},
    {"ipc_memory_freed_before_the_importer_closed",
     "an interprocess memory mapping was closed after the exporting process had freed the allocation, or destroyed or "
     "reset its context (freeing exported memory before the importer closes it is undefined)"},
    {"primary_kept_alive_only_by_the_runtime",
     "an object the runtime made in a primary context was used after the component whose retain made that primary "
     "active (the runtime came second, onto it) released its last retain: only the runtime's own retain kept the "
     "context alive, and the documentation does not say the runtime takes one"},
    {"call_during_exit",
     "a driver call that uses a context or its objects after the process's exit began (main returned or exit was "
     "called): from an exit handler, a static destructor or a main-thread thread_local destructor, whose order against "
     "the CUDA runtime's own teardown the program does not choose"},
};

// Keys, by hazard (the first matching row wins; fnmatch's * crosses '/'):
//   primary_released_by_non_retainer   <component>:<release>/<never_retained | released_more_than_retained |
//                                       retain_lost_to_reset/<the reset's component:function>>
//   object_of_destroyed_context         <use>/<maker>, a second stale use <first use>+<use>/<maker>
//   object_of_reset_primary             <maker>/<use>/<before|after>_reinitialization/<what ended it: the
//                                       reset or the release to zero, component:function>
//   stream_of_another_context           <use>[/after_runtime_switch: the runtime had replaced a created context]
//   primary_kept_alive_only_by_the_runtime <use>/<push | set | found_current: how the runtime came to the primary>
//   call_after_runtime_teardown, no_current_context, event_recorded_...: <use>
//   ipc_handle_opened_in_its_exporting_process   <open>/<export>
//   ipc_handle_opened_through_the_other_api      <export>/<open>/<primary | created_context: the exporter's current context>
//   ipc_handle_opened_after_the_exporter_exited  <open>/<export>
//   ipc_memory_freed_before_the_importer_closed  <close>/<the exporter's free, destroy or reset>
//     (the last two are found by the report reader, matching the handle's bytes across the run's processes)
//   runtime_objects_left_in_an_ended_context  <the ending call>/<stream | event | stream+event: what the runtime left>
//   kernel_handle_of_the_other_kind     <use>/<CUkernel | CUfunction: what it was given>
//   library_handle_of_another_context   <use>/lib:<library>/<refused/<created_context | primary> | no_objects_here>
//   library_handle_outlived_its_context <the ending call>/lib:<library>/<created_context | primary>, at the end;
//                                       <destroy function>/lib:<library>/after/<the ending call>, at the handle's destroy
//   stale_pointer_freed_a_new_allocation  <the free>/<the use after it>/<what ended the stale allocation's context>
//   no_current_context, a CUDA library's launch refused: <use>/lib:<library>/no_current_context/<thread_never_had_one |
//                                       thread_had_one>; the program's launch of the runtime's CUfunction on a
//                                       stream: program:cuLaunchKernel/runtime_handle/CUfunction/stream
//   module_loaded_beside_a_running_kernel  <use>/<lazy | eager: CUDA_MODULE_LOADING as the process started>
//   runtime_kernel_handle_refused       program:cuLaunchKernel/runtime_handle/<no_current_context | created_context |
//                                       reset_primary/<what ended it>>/<null_stream | stream>/<CUkernel | CUfunction |
//                                       unseen: how the runtime made the handle, where the model saw it>
//   call_during_exit                    <use>[/lib:<library>]/<what runs it: registered_before_main |
//                                       registered_before_the_runtime | registered_after_the_runtime (an exit
//                                       handler registered during main, before or after the runtime's first call) |
//                                       thread_local_destructor | outside_exit_handlers>[/after_runtime_reset]
// Where cases differ only by what happens after the detected call (the value a later call returns),
// the row names the closest case: primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary
// has three variants that differ only in the runtime call made after the second release, which is
// where the detector fires; the row names the first.
inline constexpr HazardRow kHazardTable[] = {
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/runtime:*/lib:curand", "error",
     "library_contexts.curand_generator_used_after_its_context_is_gone.primary_reset"},
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/runtime:*/lib:cusparse", "error",
     "library_contexts.cusparse_handle_used_after_its_context_is_gone.primary_reset"},
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/runtime:*", "error",
     "primary_refcount.component_releases_after_a_reset_the_runtime_recovered_from.cudaDeviceReset",
     // releases its retain after the documented reset, on purpose
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},
    {"primary_released_by_non_retainer", "*/retain_lost_to_reset/program:*", "error",
     "primary_refcount.component_releases_after_a_reset_the_runtime_recovered_from.cuDevicePrimaryCtxReset"},
    {"primary_released_by_non_retainer", "*/released_more_than_retained", "error",
     "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.cudaMalloc_of_a_new_allocation", "",
     // the runtime's stream queried next: on some runs the runtime fails before it calls the driver (where
     // its cuStreamQuery comes, the object_of_reset_primary row for it names the case)
     "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.cudaStreamQuery_of_the_runtime_stream"},
    {"primary_released_by_non_retainer", "*", "error",
     "lifecycle.cuDevicePrimaryCtxRelease_unbalanced_while_the_runtime_uses_the_primary"},
    {"runtime_reset_under_created_context", "*", "warning",
     "lifecycle.created_context_survives_cudaDeviceReset"},
    {"object_of_destroyed_context", "*/lib:cufft", "error",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.created_context_destroyed"},
    // cuSOLVER works through cuBLAS: its handle's destroy frees cuBLAS's events, then its own memory. A
    // cuBLAS handle's destroy does the same where the first free does not crash (PyCUDA with cuBLAS,
    // destroy-first, on one H100 at 1437b0e): the cuBLAS cases are indistinguishable here.
    {"object_of_destroyed_context", "runtime:cuEventDestroy*+runtime:cuMemFree*/*/lib:cublas", "error",
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.created_context_destroyed", "",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.created_context_destroyed "
     "teardown.cublasDestroy_after_its_context_ended.cuCtxDestroy"},
    {"object_of_destroyed_context", "runtime:cuEventDestroy*/runtime:*/lib:cublas", "error",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.created_context_destroyed", "",
     "teardown.cublasDestroy_after_its_context_ended.cuCtxDestroy"},
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
    {"object_of_destroyed_context", "program:cuStreamWaitEvent/runtime:*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cuStreamWaitEvent_on_a_live_stream"},
    {"object_of_destroyed_context", "*", "error",
     ""},
    {"object_of_reset_primary", "*/lib:cufft", "error",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.primary_reset"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventDestroy*/*/program:cuDevicePrimaryCtxReset*/lib:cublas", "error",
     "teardown.cublasDestroy_after_its_context_ended.cuDevicePrimaryCtxReset"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventDestroy*/*/runtime:cuDevicePrimaryCtxReset*/lib:cublas", "error",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.primary_reset", "",
     "teardown.cublasDestroy_after_its_context_ended.cudaDeviceReset "
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.primary_reset"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.after_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/program:cuStreamQuery/before_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.before_reinitialization"},
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/after_reinitialization/*", "error",
     "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.after_reinitialization"},
    // The primary ended by the program's second release (the key the H100 run at dd777b6 saw).
    {"object_of_reset_primary", "runtime:cuStreamCreate/runtime:cuStreamQuery/before_reinitialization/program:cuDevicePrimaryCtxRelease*",
     "error", "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.cudaStreamQuery_of_the_runtime_stream"},
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
     "lifecycle.cudaDeviceReset_while_the_driver_retains_the_primary"},  // a conformance case, on purpose
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
    // The runtime's stale stream destroyed after the runtime re-initialized the primary for another
    // call (a new stream): the destroy is not the call that re-initializes it.
    {"object_of_reset_primary", "runtime:cuStreamCreate*/runtime:cuStreamDestroy*/after_reinitialization/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.new_stream_after_cudaDeviceReset_and_the_stale_handle"},
    {"object_of_reset_primary", "runtime:*/runtime:cuStreamDestroy*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cudaDeviceReset"},
    {"object_of_reset_primary", "program:*/program:cuStreamDestroy*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stream_destroyed_after_its_context_ended.driver.cudaDeviceReset"},
    // Pinned host memory (cudaHostAlloc, cudaMallocHost) freed after the reset; before the device rows,
    // whose patterns its keys match too.
    {"object_of_reset_primary", "runtime:cuMem*Host*/runtime:cuMemFreeHost/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.pinned_host_memory_freed_after_cudaDeviceReset.cudaFreeHost"},
    {"object_of_reset_primary", "runtime:cuMem*Host*/program:cuMemFreeHost/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.pinned_host_memory_freed_after_cudaDeviceReset.cuMemFreeHost"},
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
    {"object_of_reset_primary", "runtime:cuMemAlloc*/runtime:cuMemcpy*/*/program:cuDevicePrimaryCtxRelease*", "error",
     "primary_refcount.component_releases_twice_while_the_runtime_uses_the_primary.cudaMemcpy_of_the_runtime_allocation"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/program:cuEventSynchronize/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cuEventSynchronize"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventDestroy*/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventDestroy"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/runtime:cuEventRecord/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventRecord"},
    {"object_of_reset_primary", "runtime:cuEventCreate*/program:cuStreamWaitEvent/*", "error",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cuStreamWaitEvent_on_a_live_stream"},
    {"object_of_reset_primary", "*", "error",
     ""},
    // Documented to fail; these conformance cases do it on purpose.
    {"event_recorded_on_another_contexts_stream", "program:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cuEventRecord",
     "switched_contexts.event_of_the_primary_recorded_on_a_created_context_stream_is_refused.cuEventRecord "
     "switched_contexts.event_of_device_1_recorded_on_a_device_0_stream_is_refused.cuEventRecord"},
    {"event_recorded_on_another_contexts_stream", "runtime:*", "warning",
     "streams_events.event_recorded_on_a_stream_of_another_context_fails.cudaEventRecord",
     "switched_contexts.event_of_the_primary_recorded_on_a_created_context_stream_is_refused.cudaEventRecord "
     "switched_contexts.event_of_device_1_recorded_on_a_device_0_stream_is_refused.cudaEventRecord"},
    {"stream_of_another_context", "runtime:cuMemcpy*Async*/after_runtime_switch", "warning",
     "switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.cudaMemcpyAsync"},
    {"stream_of_another_context", "runtime:cuMemsetD*Async/after_runtime_switch", "warning",
     "switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.cudaMemsetAsync"},
    {"stream_of_another_context", "runtime:cuLaunchKernel/after_runtime_switch", "warning",
     "switched_contexts.runtime_work_on_a_created_context_stream_after_cudaSetDevice.kernel_launch"},
    {"stream_of_another_context", "runtime:cuStreamQuery/after_runtime_switch", "warning",
     "switched_contexts.runtime_waits_for_a_created_context_stream_after_cudaSetDevice.cudaStreamQuery"},
    {"stream_of_another_context", "runtime:cuStreamSynchronize/after_runtime_switch", "warning",
     "switched_contexts.runtime_waits_for_a_created_context_stream_after_cudaSetDevice.cudaStreamSynchronize"},
    {"stream_of_another_context", "runtime:cuEventQuery/after_runtime_switch", "warning",
     "switched_contexts.runtime_waits_for_a_created_context_stream_after_cudaSetDevice.cudaEventQuery"},
    {"stream_of_another_context", "runtime:cuEventSynchronize/after_runtime_switch", "warning",
     "switched_contexts.runtime_waits_for_a_created_context_stream_after_cudaSetDevice.cudaEventSynchronize"},
    {"stream_of_another_context", "runtime:cuMemcpy*Async*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cudaMemcpyAsync"},
    {"stream_of_another_context", "program:cuMemcpyHtoDAsync*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.cuMemcpyHtoDAsync"},
    {"stream_of_another_context", "*:cuLaunchKernel*", "warning",
     "streams_events.stream_of_another_context_used_while_one_is_current.kernel_launch"},
    {"stream_of_another_context", "*", "warning",
     ""},
    // cudaSetDevice replacing a created context is documented; these conformance cases do it on purpose.
    // The hazard cases that go on to use the created context's stream are named by what they do next.
    {"runtime_switched_away_from_created_context", "*", "warning",
     "runtime_first.cudaSetDevice_replaces_a_pushed_created_context",
     "switched_contexts.cuStreamGetCtx_names_the_creating_context_after_the_other_api_switched.cuStreamCreate.created_then_cudaSetDevice "
     "switched_contexts.cuStreamGetCtx_names_the_creating_context_after_the_other_api_switched.cudaStreamCreate.created_then_cudaSetDevice "
     "switched_contexts.default_stream_handles_mean_the_context_current_after_the_switch.CU_STREAM_LEGACY "
     "switched_contexts.default_stream_handles_mean_the_context_current_after_the_switch.CU_STREAM_PER_THREAD "
     "switched_contexts.default_stream_handles_mean_the_context_current_after_the_switch.null_stream "
     "switched_contexts.cudaStreamGetDevice_of_a_device_1_stream_after_cudaSetDevice_0.cuStreamCreate "
     "switched_contexts.cudaStreamGetDevice_of_a_device_1_stream_after_cudaSetDevice_0.cudaStreamCreate"},
    {"no_current_context", "program:cuMemcpy/host_to_device", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpy_host_to_device"},
    {"no_current_context", "program:cuMemcpy/device_to_host", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpy_device_to_host"},
    // cuPointerGetAttribute with nothing current: these attributes answer from the allocation. The
    // multi-device case asks both of device 1 memory: the same calls.
    {"no_current_context", "program:cuPointerGetAttribute/CONTEXT", "warning",
     "no_current_context.pointer_attribute_asked_on_a_thread_with_none.CONTEXT",
     // asks after the last release on purpose: the documented answer is that the allocation is gone
     "lifecycle.last_release_resets_the_primary",
     "multi_device.cuPointerGetAttribute_of_device_1_memory_on_a_thread_with_no_context"},
    {"no_current_context", "program:cuPointerGetAttribute/DEVICE_ORDINAL", "warning",
     "no_current_context.pointer_attribute_asked_on_a_thread_with_none.DEVICE_ORDINAL", "",
     "multi_device.cuPointerGetAttribute_of_device_1_memory_on_a_thread_with_no_context"},
    {"no_current_context", "program:cuPointerGetAttribute/MEMORY_TYPE", "warning",
     "no_current_context.pointer_attribute_asked_on_a_thread_with_none.MEMORY_TYPE"},
    {"no_current_context", "program:cuPointerGetAttribute/RANGE_START_ADDR", "warning",
     "no_current_context.pointer_attribute_asked_on_a_thread_with_none.RANGE_START_ADDR"},
    // DEVICE_POINTER is documented to fail with no current context; these conformance cases ask on purpose.
    {"no_current_context", "program:cuPointerGetAttribute/DEVICE_POINTER", "warning",
     "no_current_context.device_pointer_attribute_fails_on_a_thread_with_none.device_memory",
     "no_current_context.device_pointer_attribute_fails_on_a_thread_with_none.pinned_host_memory"},
    {"no_current_context", "program:cuMemcpyDtoH*", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpyDtoH"},
    {"no_current_context", "program:cuMemcpyHtoD*", "warning",
     "no_current_context.driver_copy_on_a_thread_with_none.cuMemcpyHtoD"},
    // Documented to fail with no current context; these conformance cases do it on purpose.
    {"no_current_context", "program:cuEventCreate", "warning",
     "no_current_context.calls_on_the_current_context_fail_on_a_thread_with_none.cuEventCreate"},
    {"no_current_context", "program:cuModuleLoadData", "warning",
     "no_current_context.cuModuleLoadData_fails_on_a_thread_with_none_until_one_is_bound"},
    {"no_current_context", "program:cuStreamCreate*", "warning",
     "multi_device.cuStreamCreate_on_a_new_thread_fails_where_cudaStreamCreate_picks_device_0"},
    // A CUDA library binding a context on a thread (not the main one) that had none, for a handle used there.
    {"no_current_context", "runtime:cuCtx*/lib:cublas/binds_primary", "warning",
     "no_current_context.cublas_handle_used_on_a_thread_with_none.primary"},
    {"no_current_context", "runtime:cuCtx*/lib:cublas/binds_created_context", "warning",
     "no_current_context.cublas_handle_used_on_a_thread_with_none.created_context"},
    // cuFFT's launch refused on a thread with nothing current (cuFFT calls the exported symbols: the
    // program's component, from libcufft): a new thread, or the plan's thread after cuCtxSetCurrent(NULL).
    {"no_current_context", "*:cuLaunchKernel/lib:cufft/no_current_context/thread_had_one", "warning",
     "library_contexts.cufft_plan_executed_with_no_context_current.same_thread_after_cuCtxSetCurrent_null"},
    {"no_current_context", "*:cuLaunchKernel/lib:cufft/no_current_context/thread_never_had_one", "warning",
     "library_contexts.cufft_plan_executed_with_no_context_current.new_thread"},
    // The runtime's CUfunction launched by the program on a stream of its context, nothing current: it ran.
    {"no_current_context", "program:cuLaunchKernel/runtime_handle/CUfunction/stream", "warning",
     "no_current_context.driver_launch_of_a_runtime_function_on_a_thread_with_none.stream_of_the_primary"},
    {"no_current_context", "*", "warning",
     ""},
    // A created context stays valid after its thread ends; this conformance case ends a thread with one
    // pushed on purpose, and uses it from another.
    {"contexts_left_pushed_at_thread_exit", "*", "warning",
     "threads.thread_exiting_with_a_context_current_leaves_it_usable"},
    // A cuBLAS call (its own runtime instance) after the process's runtime's teardown.
    {"call_after_runtime_teardown", "runtime:*/lib:cublas", "error",
     "teardown.cublasDestroy_from_an_exit_handler.before_the_runtime_starts"},
    {"call_after_runtime_teardown", "runtime:cuStreamDestroy*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaStreamDestroy"},
    {"call_after_runtime_teardown", "runtime:cuEventDestroy*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaEventDestroy"},
    {"call_after_runtime_teardown", "runtime:cuMemFree*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaFree"},
    {"call_after_runtime_teardown", "runtime:cuCtxGetDevice*", "error",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaGetDevice"},
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
    // Calls after exit began (the preloaded exit marker, watch/exit_marker.cpp), named by the call and by
    // when the handler making it was registered: before or after the runtime's first call (teardown's
    // ExitStepRegistered axis).
    {"call_during_exit", "runtime:cuMemFree*/registered_after_the_runtime/after_runtime_reset", "warning",
     "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaFree"},
    // The same handler's event and stream (keys the H100 run at dd777b6 saw).
    {"call_during_exit", "runtime:cuEventDestroy*/registered_after_the_runtime/after_runtime_reset", "warning",
     "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaEventDestroy"},
    {"call_during_exit", "runtime:cuStreamDestroy*/registered_after_the_runtime/after_runtime_reset", "warning",
     "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaStreamDestroy"},
    {"call_during_exit", "runtime:*/lib:cublas/registered_before_the_runtime*", "warning",
     "teardown.cublasDestroy_from_an_exit_handler.before_the_runtime_starts"},
    {"call_during_exit", "runtime:*/lib:cublas/registered_after_the_runtime*", "warning",
     "teardown.cublasDestroy_from_an_exit_handler.after_the_runtime_starts"},
    {"call_during_exit", "runtime:cuMemFree_*/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaFree"},
    {"call_during_exit", "runtime:cuMemFree_*/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaFree"},
    {"call_during_exit", "runtime:cuMemFreeHost/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaFreeHost"},
    {"call_during_exit", "runtime:cuMemFreeHost/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaFreeHost"},
    {"call_during_exit", "runtime:cuStreamDestroy*/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaStreamDestroy"},
    {"call_during_exit", "runtime:cuStreamDestroy*/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaStreamDestroy"},
    {"call_during_exit", "runtime:cuEventDestroy*/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaEventDestroy"},
    {"call_during_exit", "runtime:cuEventDestroy*/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaEventDestroy"},
    {"call_during_exit", "runtime:cuCtxSynchronize*/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaDeviceSynchronize"},
    {"call_during_exit", "runtime:cuCtxSynchronize*/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaDeviceSynchronize"},
    // cudaGetDevice: its cuCtxGetDevice is watched only once exit began.
    {"call_during_exit", "runtime:cuCtxGetDevice*/registered_before_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.before_the_runtime_starts.cudaGetDevice"},
    {"call_during_exit", "runtime:cuCtxGetDevice*/registered_after_the_runtime", "warning",
     "teardown.runtime_call_from_an_exit_handler.after_the_runtime_starts.cudaGetDevice"},
    // The two differ only in where the runtime's first call is, which makes no different driver call.
    {"call_during_exit", "runtime:cuEventDestroy*/thread_local_destructor", "warning",
     "teardown.main_thread_thread_local_destroys_its_event_at_exit.the_body_before_the_thread_local", "",
     "teardown.main_thread_thread_local_destroys_its_event_at_exit.the_thread_locals_constructor"},
    {"call_during_exit", "program:cuMemFree_*/registered_before_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuMemFree"},
    {"call_during_exit", "program:cuMemFree_*/registered_after_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.after_the_runtime_starts.cuMemFree"},
    {"call_during_exit", "program:cuStreamDestroy*/registered_before_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuStreamDestroy"},
    {"call_during_exit", "program:cuStreamDestroy*/registered_after_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.after_the_runtime_starts.cuStreamDestroy"},
    {"call_during_exit", "program:cuDevicePrimaryCtxRelease*/registered_before_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.before_the_runtime_starts.cuDevicePrimaryCtxRelease"},
    {"call_during_exit", "program:cuDevicePrimaryCtxRelease*/registered_after_the_runtime", "warning",
     "teardown.driver_component_releases_from_an_exit_handler.after_the_runtime_starts.cuDevicePrimaryCtxRelease"},
    {"call_during_exit", "program:cuCtxDestroy*/registered_before_the_runtime", "warning",
     "teardown.created_context_destroyed_from_an_exit_handler.before_the_runtime_starts"},
    {"call_during_exit", "program:cuCtxDestroy*/registered_after_the_runtime", "warning",
     "teardown.created_context_destroyed_from_an_exit_handler.after_the_runtime_starts"},
    {"call_during_exit", "*", "warning",
     ""},
    // Reported at the destroy or reset: the runtime's next call on a handle it kept crashes inside the
    // runtime (cudaStreamQuery, cudaStreamDestroy, cudaEventDestroy on the H100 run) before any driver
    // call. Cases that go on to use the objects through a call that reaches the driver are named by
    // that use too (object_of_destroyed_context, object_of_reset_primary).
    {"runtime_objects_left_in_an_ended_context", "*:cuCtxDestroy*/stream+event", "warning",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery", "",
     "lifecycle.runtime_object_used_after_cuCtxDestroy_of_its_context.cudaStreamQuery_then_cudaEventQuery"},
    {"runtime_objects_left_in_an_ended_context", "*:cuCtxDestroy*/stream", "warning",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuCtxDestroy"},
    // The runtime's cudaEventRecord of such an event crashed inside the runtime on some H100 runs, before
    // any driver call; its other uses reach the driver and are named there.
    {"runtime_objects_left_in_an_ended_context", "*:cuCtxDestroy*/event", "warning",
     "stale_objects.runtime_event_used_after_its_context_ended.cuCtxDestroy.cudaEventRecord"},
    {"runtime_objects_left_in_an_ended_context", "runtime:cuDevicePrimaryCtxReset*/stream+event", "warning",
     "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaStreamDestroy", "",
     "teardown.exit_handler_releases_what_cudaDeviceReset_destroyed.cudaEventDestroy"},
    {"runtime_objects_left_in_an_ended_context", "runtime:cuDevicePrimaryCtxReset*/stream", "warning",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cudaDeviceReset"},
    // Likewise after cudaDeviceReset (one H100 run: that cudaEventRecord crashed under watch too, and this
    // report, naming the cudaEventDestroy case, was the only one; cudaEventDestroy reaches the driver).
    {"runtime_objects_left_in_an_ended_context", "runtime:cuDevicePrimaryCtxReset*/event", "warning",
     "stale_objects.runtime_event_used_after_its_context_ended.cudaDeviceReset.cudaEventRecord"},
    {"runtime_objects_left_in_an_ended_context", "program:cuDevicePrimaryCtxReset*/stream", "warning",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxReset"},
    {"runtime_objects_left_in_an_ended_context", "program:cuDevicePrimaryCtxRelease*/stream", "warning",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"},
    {"runtime_objects_left_in_an_ended_context", "*", "warning",
     ""},
    // Interprocess handles. The runtime's cudaIpc* reach the driver through cuGetProcAddress (runtime:).
    {"ipc_handle_opened_in_its_exporting_process", "program:cuIpcOpenMemHandle*", "warning",
     "interprocess.memory_handle_opened_in_the_process_that_exported_it.driver"},
    {"ipc_handle_opened_in_its_exporting_process", "runtime:cuIpcOpenMemHandle*", "warning",
     "interprocess.memory_handle_opened_in_the_process_that_exported_it.runtime"},
    {"ipc_handle_opened_in_its_exporting_process", "*", "warning",
     ""},
    {"ipc_handle_opened_through_the_other_api", "program:cuIpcGetMemHandle/runtime:cuIpcOpenMemHandle*/created_context", "warning",
     "interprocess.memory_handle_opened_through_the_other_api.cuIpcGetMemHandle_to_cudaIpcOpenMemHandle.created_context"},
    {"ipc_handle_opened_through_the_other_api", "program:cuIpcGetMemHandle/runtime:cuIpcOpenMemHandle*/primary", "warning",
     "interprocess.memory_handle_opened_through_the_other_api.cuIpcGetMemHandle_to_cudaIpcOpenMemHandle.primary"},
    {"ipc_handle_opened_through_the_other_api", "runtime:cuIpcGetMemHandle/program:cuIpcOpenMemHandle*/created_context", "warning",
     "interprocess.memory_handle_opened_through_the_other_api.cudaIpcGetMemHandle_to_cuIpcOpenMemHandle.created_context"},
    {"ipc_handle_opened_through_the_other_api", "runtime:cuIpcGetMemHandle/program:cuIpcOpenMemHandle*/primary", "warning",
     "interprocess.memory_handle_opened_through_the_other_api.cudaIpcGetMemHandle_to_cuIpcOpenMemHandle.primary",
     // its peer opens a runtime export in a second, driver-made context on purpose (documented refused)
     "interprocess.memory_handle_opened_in_a_second_context_is_refused"},
    {"ipc_handle_opened_through_the_other_api", "runtime:cuIpcGetEventHandle/program:cuIpcOpenEventHandle/*", "warning",
     "interprocess.event_handle_opened_through_the_other_api.cudaIpcGetEventHandle_to_cuIpcOpenEventHandle"},
    {"ipc_handle_opened_through_the_other_api", "program:cuIpcGetEventHandle/runtime:cuIpcOpenEventHandle/*", "warning",
     "interprocess.event_handle_opened_through_the_other_api.cuIpcGetEventHandle_to_cudaIpcOpenEventHandle"},
    {"ipc_handle_opened_through_the_other_api", "*", "warning",
     ""},
    {"ipc_handle_opened_after_the_exporter_exited", "program:cuIpcOpenMemHandle*", "error",
     "interprocess.memory_handle_opened_after_the_exporter_exited.driver"},
    {"ipc_handle_opened_after_the_exporter_exited", "runtime:cuIpcOpenMemHandle*", "error",
     "interprocess.memory_handle_opened_after_the_exporter_exited.runtime"},
    {"ipc_handle_opened_after_the_exporter_exited", "program:cuIpcOpenEventHandle*", "error",
     "interprocess.event_handle_opened_after_the_exporter_exited.driver"},
    {"ipc_handle_opened_after_the_exporter_exited", "runtime:cuIpcOpenEventHandle*", "error",
     "interprocess.event_handle_opened_after_the_exporter_exited.runtime"},
    {"ipc_handle_opened_after_the_exporter_exited", "*", "error",
     ""},
    // The program's calls; the handle's kind is known from the call that made it, whoever made it.
    {"kernel_handle_of_the_other_kind", "program:cuFuncGetAttribute/CUkernel", "error",
     "module_loading.cuFuncGetAttribute_of_a_CUkernel_passed_as_a_CUfunction"},
    {"kernel_handle_of_the_other_kind", "program:cuKernelGetFunction/CUfunction", "error",
     "module_loading.cuKernelGetFunction_given_a_CUfunction"},
    // cudaLaunchKernel given cudaGetFuncBySymbol's CUfunction launches it as it is; with a CUPTI
    // subscriber in the process it first asks its name as a CUkernel's.
    {"kernel_handle_of_the_other_kind", "runtime:cuLaunchKernel/CUfunction", "error",
     "module_loading.cudaLaunchKernel_given_a_CUfunction"},
    {"kernel_handle_of_the_other_kind", "runtime:cuKernelGetName/CUfunction", "error",
     "module_loading.cudaLaunchKernel_given_a_CUfunction"},
    {"kernel_handle_of_the_other_kind", "*", "error",
     ""},
    // The runtime's lazy load may come through cuKernelGetFunction (a CUfunction of the current context)
    // before the launch or the attribute query: not told apart there. CUDA 13's cudaFuncGetAttributes
    // asks through cuKernelGetAttribute (on the H100 run), its launches through cuLaunchKernel.
    {"module_loaded_beside_a_running_kernel", "runtime:cuLaunchKernel/lazy", "warning",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuFuncGetAttribute/lazy", "warning",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuKernelGetAttribute/lazy", "warning",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuKernelGetFunction/lazy", "warning",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel", "",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    // The runtime's library load (lazy: cuLibraryLoadData; eager: cuLibraryGetKernel) is the first call it
    // makes for either; the launch or attribute query it served is reported after it, by its own row.
    {"module_loaded_beside_a_running_kernel", "runtime:cuLibrary*/lazy", "warning",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel", "",
     "module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuLaunchKernel/eager", "warning",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuFuncGetAttribute/eager", "warning",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuKernelGetAttribute/eager", "warning",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuKernelGetFunction/eager", "warning",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel", "",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    {"module_loaded_beside_a_running_kernel", "runtime:cuLibrary*/eager", "warning",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.first_launch_of_a_kernel", "",
     "module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaFuncGetAttributes_of_a_kernel"},
    // The program's load, then its fetch and first launch of the loaded function: the first is reported.
    {"module_loaded_beside_a_running_kernel", "program:cuModule*", "warning",
     "module_loading.module_loaded_and_launched_by_another_thread_beside_a_running_kernel.cuModuleLoadData"},
    {"module_loaded_beside_a_running_kernel", "program:cuLibrary*", "warning",
     "module_loading.module_loaded_and_launched_by_another_thread_beside_a_running_kernel.cuLibraryLoadData"},
    {"module_loaded_beside_a_running_kernel", "*", "warning", ""},
    // The program's cuLaunchKernel of a kernel handle the runtime gave it, refused where it does not belong.
    {"runtime_kernel_handle_refused", "*/runtime_handle/created_context/null_stream/*", "warning",
     "switched_contexts.primary_function_launched_into_a_created_context.null_stream_with_it_current"},
    {"runtime_kernel_handle_refused", "*/runtime_handle/created_context/stream/*", "warning",
     "switched_contexts.primary_function_launched_into_a_created_context.stream_of_the_created_context"},
    {"runtime_kernel_handle_refused", "*/runtime_handle/reset_primary/program:cuDevicePrimaryCtxReset*", "warning",
     "stale_objects.kernel_handle_cached_across_a_primary_reset.cuDevicePrimaryCtxReset.CUfunction_from_cudaGetFuncBySymbol"},
    {"runtime_kernel_handle_refused", "*/runtime_handle/reset_primary/runtime:cuDevicePrimaryCtxReset*", "warning",
     "stale_objects.kernel_handle_cached_across_a_primary_reset.cudaDeviceReset.CUfunction_from_cudaGetFuncBySymbol"},
    // Documented: a CUkernel launched on the NULL stream takes the current context, and there is none.
    {"runtime_kernel_handle_refused", "*/runtime_handle/no_current_context/null_stream/CUkernel", "warning",
     "no_current_context.CUkernel_launch_on_the_null_stream_fails_on_a_thread_with_none"},
    {"runtime_kernel_handle_refused", "*/runtime_handle/no_current_context/null_stream/*", "warning",
     "no_current_context.driver_launch_of_a_runtime_function_on_a_thread_with_none.null_stream",
     "no_current_context.CUkernel_launch_on_the_null_stream_fails_on_a_thread_with_none"},
    {"runtime_kernel_handle_refused", "*", "warning", ""},
    // A CUDA library under another context than its handle's.
    {"library_handle_of_another_context", "*:cuLaunchKernel/lib:cufft/refused/*", "warning",
     "library_contexts.cufft_plan_executed_with_another_context_current"},
    {"library_handle_of_another_context", "*:cuLaunchKernel/lib:cublas/no_objects_here", "warning",
     "libraries.cublas_handle_made_in_one_context_used_in_another"},
    {"library_handle_of_another_context", "*", "warning", ""},
    // A CUDA library handle alive when its context ended (watch/library_handles.cpp tells of handles), or
    // destroyed after: created contexts end by cuCtxDestroy (or PyCUDA's cuCtxDetach), primaries by a reset
    // or a release.
    {"library_handle_outlived_its_context", "cublasDestroy_v2/lib:cublas/after/*:cuCtx*", "error",
     "teardown.cublasDestroy_after_its_context_ended.cuCtxDestroy"},
    {"library_handle_outlived_its_context", "cublasDestroy_v2/lib:cublas/after/program:cuDevicePrimaryCtxReset*", "error",
     "teardown.cublasDestroy_after_its_context_ended.cuDevicePrimaryCtxReset"},
    {"library_handle_outlived_its_context", "cublasDestroy_v2/lib:cublas/after/runtime:cuDevicePrimaryCtxReset*", "error",
     "teardown.cublasDestroy_after_its_context_ended.cudaDeviceReset"},
    {"library_handle_outlived_its_context", "*/lib:cublas/created_context", "warning",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cublas/after/*:cuCtx*", "error",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cublas/primary", "warning",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cublas/after/*", "error",
     "library_contexts.cublas_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cufft/created_context", "warning",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cufft/after/*:cuCtx*", "error",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cufft/primary", "warning",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cufft/after/*", "error",
     "library_contexts.cufft_plan_executed_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:curand/created_context", "warning",
     "library_contexts.curand_generator_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:curand/after/*:cuCtx*", "error",
     "library_contexts.curand_generator_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:curand/primary", "warning",
     "library_contexts.curand_generator_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:curand/after/*", "error",
     "library_contexts.curand_generator_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cusparse/created_context", "warning",
     "library_contexts.cusparse_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cusparse/after/*:cuCtx*", "error",
     "library_contexts.cusparse_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cusparse/primary", "warning",
     "library_contexts.cusparse_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cusparse/after/*", "error",
     "library_contexts.cusparse_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cusolver/created_context", "warning",
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cusolver/after/*:cuCtx*", "error",
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.created_context_destroyed"},
    {"library_handle_outlived_its_context", "*/lib:cusolver/primary", "warning",
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*/lib:cusolver/after/*", "error",
     "library_contexts.cusolver_handle_used_after_its_context_is_gone.primary_reset"},
    {"library_handle_outlived_its_context", "*", "warning", ""},
    // A stale free released the allocation that had received the stale pointer's address.
    {"stale_pointer_freed_a_new_allocation", "runtime:cuMemFree*/*/runtime:cuDevicePrimaryCtxReset*", "error",
     "stale_objects.stale_pointer_freed_after_the_reset_and_a_new_allocation"},
    {"stale_pointer_freed_a_new_allocation", "*", "error", ""},
    // Found by the report reader: an importer's close after the exporter ended the allocation.
    {"ipc_memory_freed_before_the_importer_closed", "*:cuIpcCloseMemHandle/*:cuCtxDestroy*", "error",
     "interprocess.mapping_in_a_peer_after_the_exporter_resets.cuCtxDestroy"},
    {"ipc_memory_freed_before_the_importer_closed", "*:cuIpcCloseMemHandle/runtime:cuDevicePrimaryCtxReset*", "error",
     "interprocess.mapping_in_a_peer_after_the_exporter_resets.cudaDeviceReset"},
    {"ipc_memory_freed_before_the_importer_closed", "*", "error", ""},
    // The runtime came to a primary another component had made active, and that component let go: the
    // runtime's cudaInitDevice pushes it, its cudaSetDevice and first cudaMalloc set it (the same calls), or
    // the program had made it current.
    {"primary_kept_alive_only_by_the_runtime", "runtime:cuMemcpyDtoH*/push", "warning",
     "primary_refcount.runtime_starts_on_a_retained_primary_then_the_component_releases.cudaInitDevice"},
    {"primary_kept_alive_only_by_the_runtime", "runtime:cuMemcpyDtoH*/set", "warning",
     "primary_refcount.runtime_starts_on_a_retained_primary_then_the_component_releases.cudaSetDevice", "",
     "primary_refcount.runtime_starts_on_a_retained_primary_then_the_component_releases.cudaMalloc"},
    {"primary_kept_alive_only_by_the_runtime", "runtime:cuStreamDestroy*/found_current", "warning",
     "stale_objects.stream_destroyed_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"},
    {"primary_kept_alive_only_by_the_runtime", "program:cuStreamSynchronize/found_current", "warning",
     "stale_objects.stream_synchronized_by_the_other_api_after_its_context_ended.runtime.cuDevicePrimaryCtxRelease"},
    {"primary_kept_alive_only_by_the_runtime", "*", "warning", ""},
    {"cuda_used_in_forked_child", "runtime", "error",
     "fork.child_of_a_runtime_initialized_parent"},
    {"cuda_used_in_forked_child", "program", "error",
     "fork.child_of_a_driver_initialized_parent"},
};

// Hazard cases whose calls, as far as the interposer sees them, are a correct program's: the case records
// an undocumented detail (which runtime call binds, whether a call waits) of a pattern the documentation
// or the case's own advice recommends. watch must say nothing there; score-watch counts them apart from
// recall, and a report on one as a false alarm. The reason is the table's claim, checked on the GPU by
// every scored run; a case missed for want of visibility (a runtime call that makes no driver call) is
// not listed: it stays "not reported".
struct SilentCase {
  const char* case_id;
  const char* why;
};

inline constexpr const char* kBesideARunningKernel =
    "an allocation, or a copy on the thread's own stream, beside another thread's running kernel: what every "
    "multi-threaded program does; neither loads code, and whether it waits for the kernel is what the case records";
inline constexpr const char* kRuntimeCallOnANewThread =
    "a runtime call on a new thread, which binds the primary or leaves the thread as it was, both correct: which call "
    "binds is what the case records, seen only in the runtime's own API; driver calls that then find no context are "
    "no_current_context";
inline constexpr const char* kCachedCUkernel =
    "a context-independent CUkernel launched after a reset, the case's own advice: the launch loads it into the new "
    "primary";
inline constexpr const char* kMadeForDevice1 =
    "runtime calls made for device 1 after cudaSetDevice(1), as the case advises; whether device 0's primary starts is "
    "what the case records, and peer access needs it to";

inline constexpr SilentCase kSilentCases[] = {
    {"module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaMalloc", kBesideARunningKernel},
    {"module_loading.lazy_loading_runtime_call_beside_a_running_kernel.cudaMemcpyAsync_on_its_stream", kBesideARunningKernel},
    {"module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaMalloc", kBesideARunningKernel},
    {"module_loading.eager_loading_runtime_call_beside_a_running_kernel.cudaMemcpyAsync_on_its_stream", kBesideARunningKernel},
    {"no_current_context.which_runtime_calls_bind_a_context_on_a_new_thread.cudaFree_nullptr", kRuntimeCallOnANewThread},
    {"no_current_context.which_runtime_calls_bind_a_context_on_a_new_thread.cudaGetDevice", kRuntimeCallOnANewThread},
    {"no_current_context.which_runtime_calls_bind_a_context_on_a_new_thread.cudaPointerGetAttributes", kRuntimeCallOnANewThread},
    {"stale_objects.kernel_handle_cached_across_a_primary_reset.cuDevicePrimaryCtxReset.CUkernel_from_cudaGetKernel", kCachedCUkernel},
    {"stale_objects.kernel_handle_cached_across_a_primary_reset.cudaDeviceReset.CUkernel_from_cudaGetKernel", kCachedCUkernel},
    {"multi_device.device_0_primary_after_runtime_calls_made_for_device_1.cudaDeviceCanAccessPeer", kMadeForDevice1},
    {"multi_device.device_0_primary_after_runtime_calls_made_for_device_1.cudaDeviceEnablePeerAccess", kMadeForDevice1},
    {"multi_device.device_0_primary_after_runtime_calls_made_for_device_1.cudaGetDeviceProperties", kMadeForDevice1},
    {"multi_device.device_0_primary_after_runtime_calls_made_for_device_1.cudaHostAlloc_portable", kMadeForDevice1},
};

}  // namespace ctxshare::watch
