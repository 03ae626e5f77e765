// The suite's child process: runs one case and tells the runner everything through the event fd.
#pragma once

#include "harness/spec/spec.h"

namespace ctxshare {

// Runs the case in this process, writing its events as JSON lines to event_fd. Returns the exit code:
// always 0 once the case has ended, whatever it found; the runner judges the events.
int run_case_in_this_process(const CaseDef& def, int event_fd);

}  // namespace ctxshare
