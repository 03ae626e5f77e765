// A reproducer's entry point: runs one case of this program, printing every event (print_sink.cpp).
// Exit codes: 0 passed, 1 findings, 2 the case made no check, 77 skipped (no usable driver, too few
// devices, a missing library: the reason is printed), 3 no such case.
#pragma once

#include "harness/spec/events.h"

namespace ctxshare {

int reproduce(const char* case_id);

// The reproducer's event sink: each event printed as a line on stdout.
void print_event(Event event, const Value& fields);

}  // namespace ctxshare
