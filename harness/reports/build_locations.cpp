#include "harness/reports/build_locations.h"

#include "harness/build_locations.h"  // generated: CTXSHARE_BUILT_* for this build directory

namespace ctxshare {

const char* built_watch_driver_dir() { return CTXSHARE_BUILT_WATCH_DRIVER_DIR; }
const char* built_watch_bench() { return CTXSHARE_BUILT_WATCH_BENCH; }
const char* built_mutate_driver_dir() { return CTXSHARE_BUILT_MUTATE_DRIVER_DIR; }

}  // namespace ctxshare
