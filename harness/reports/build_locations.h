// Where this build put the programs some commands start (the interposing and mutating drivers, the
// launch loop): paths inside the build directory, so they differ from build to build. They live in one
// small file (build_locations.cpp, from a generated header), so that every other file of the layer
// compiles alike in every build variant and ccache shares it.
#pragma once

namespace ctxshare {

const char* built_watch_driver_dir();   // the interposing libcuda.so.1's directory
const char* built_watch_bench();        // watch/watch_bench_launches
const char* built_mutate_driver_dir();  // the mutating libcuda.so.1's directory

}  // namespace ctxshare
