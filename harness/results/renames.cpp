#include "harness/results/renames.h"

#include <map>

namespace ctxshare {

const std::map<std::string, std::string>& renamed_cases() {
  // Ids that decoded their variants from one string before the variants became named axes (a.b.c).
  static const std::map<std::string, std::string> renamed = {
      // One case with an API axis became two: the driver's query, on a thread with no context, is
      // not documented (a hazard case); the runtime's is.
      {"multi_device.pointer_query_of_device_1_memory_from_a_thread_with_no_context.cudaPointerGetAttributes",
       "multi_device.cudaPointerGetAttributes_of_device_1_memory_on_a_thread_with_no_context"},
      {"multi_device.pointer_query_of_device_1_memory_from_a_thread_with_no_context.cuPointerGetAttribute",
       "multi_device.cuPointerGetAttribute_of_device_1_memory_on_a_thread_with_no_context"},
      // Its name said the driver activates the primary; cudaSetDeviceFlags initializes it itself.
      {"runtime_first.cudaSetDeviceFlags_apply_when_the_driver_activates_the_primary",
       "runtime_first.cudaSetDeviceFlags_initializes_the_primary_with_its_flags"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate_then_cuStreamQuery",
       "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.after_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate_then_cuStreamQuery_before_reinitialization",
       "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cuStreamQuery.before_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate_then_cudaStreamQuery",
       "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.after_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate_then_cudaStreamQuery_before_reinitialization",
       "lifecycle.stream_used_after_cudaDeviceReset.cudaStreamCreate.cudaStreamQuery.before_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate_then_cuStreamQuery",
       "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.after_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate_then_cuStreamQuery_before_reinitialization",
       "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cuStreamQuery.before_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate_then_cudaStreamQuery",
       "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.after_reinitialization"},
      {"lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate_then_cudaStreamQuery_before_reinitialization",
       "lifecycle.stream_used_after_cudaDeviceReset.cuStreamCreate.cudaStreamQuery.before_reinitialization"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.zero_primary",
       "streams_events.default_stream_by_every_name_works_through_both_apis.zero.primary"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.zero_created",
       "streams_events.default_stream_by_every_name_works_through_both_apis.zero.created"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamLegacy_primary",
       "streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamLegacy.primary"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamLegacy_created",
       "streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamLegacy.created"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamPerThread_primary",
       "streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamPerThread.primary"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamPerThread_created",
       "streams_events.default_stream_by_every_name_works_through_both_apis.cudaStreamPerThread.created"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_LEGACY_primary",
       "streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_LEGACY.primary"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_LEGACY_created",
       "streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_LEGACY.created"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_PER_THREAD_primary",
       "streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_PER_THREAD.primary"},
      {"streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_PER_THREAD_created",
       "streams_events.default_stream_by_every_name_works_through_both_apis.CU_STREAM_PER_THREAD.created"},
      {"memory.stream_ordered_allocation_reports_its_context.cudaMallocAsync_primary",
       "memory.stream_ordered_allocation_reports_its_context.cudaMallocAsync.primary"},
      {"memory.stream_ordered_allocation_reports_its_context.cudaMallocAsync_created",
       "memory.stream_ordered_allocation_reports_its_context.cudaMallocAsync.created"},
      {"memory.stream_ordered_allocation_reports_its_context.cuMemAllocAsync_primary",
       "memory.stream_ordered_allocation_reports_its_context.cuMemAllocAsync.primary"},
      {"memory.stream_ordered_allocation_reports_its_context.cuMemAllocAsync_created",
       "memory.stream_ordered_allocation_reports_its_context.cuMemAllocAsync.created"},
  };
  return renamed;
}

std::string current_case_id(const std::string& id) {
  const auto it = renamed_cases().find(id);
  return it == renamed_cases().end() ? id : it->second;
}

}  // namespace ctxshare
