// The child-to-runner protocol in one place: what a case process says (Event), what it can find
// (FindingKind), and the one seam it says it through. Two sinks exist: the suite's child writes each
// event as one JSON line to the runner (harness/child/json_sink.cpp), and a reproducer prints it
// (harness/repro/print_sink.cpp); nothing else differs between the two. The runner parses the lines back with
// the same names (harness/run/event_stream.h).
#pragma once

#include <optional>
#include <string_view>

#include "harness/spec/value.h"

namespace ctxshare {

enum class Event {
  start,       // {case, pid}
  driver,      // what the loader found: {path, version, initialized, devices, unresolved, problem}
  skip,        // {reason}: an unmet need, or the body's h.skip(reason)
  seed,        // {seed} of random_words
  call,        // {seq, api, fn, tid, t, by}: an API call is being made
  ret,         // {seq, res, err, us[, note]}: it returned
  observe,     // {key, value}: what happened, as evidence
  finding,     // {kind, message, tid, after_call[, evidence][, where]}
  checkpoint,  // {label}
  end,         // {findings, checks}: the body and the end-of-case checks are done
};
const char* to_string(Event e);
std::optional<Event> event_from_string(std::string_view s);

// What is sketchy, by name. The set is closed: reports and tables key on these names.
enum class FindingKind {
  unexpected_error,    // a call that must succeed failed
  wrong_error,         // a call failed, but not with the documented error
  unexpected_success,  // a call succeeded where the documentation says it fails
  mismatch,            // an observed value differs from the documented one
  wrong_context,       // a handle, pointer or thread is in another context than documented
  wrong_device,        // ... on another device than documented
  data_mismatch,       // data written through one API read back differently through the other
  handle_invalidated,  // a resource stopped working through an API after an unrelated step
  context_changed,     // a step changed what is current without documenting it (ledger diff)
  sticky_error,        // an error left behind: the context is unusable after the case
  leak,                // memory or handles the harness could not account for
  cleanup_failed,      // releasing a resource through its owner's API failed
  exception,           // the case threw something other than a check failure
  crash,               // the case process died from a signal
  timeout,             // the case process was killed at its timeout
  early_exit,          // the case process exited before the case finished
};
const char* to_string(FindingKind kind);
std::optional<FindingKind> finding_kind_from_string(std::string_view s);

// The seam: emit() hands each event to the sink the process installed (none: the event is dropped).
// `fields` is an object; the sink adds the event's name.
using EventSink = void (*)(Event event, const Value& fields);
void set_event_sink(EventSink sink);
void emit(Event event, Value fields);
// From now on this process says nothing (a forked child reports to its parent some other way).
void mute_events();

}  // namespace ctxshare
