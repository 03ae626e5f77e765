#include "harness/spec/events.h"

#include <atomic>

namespace ctxshare {

namespace {
std::atomic<EventSink> g_sink{nullptr};
}  // namespace

void set_event_sink(EventSink sink) { g_sink = sink; }
void mute_events() { g_sink = nullptr; }

void emit(Event event, Value fields) {
  if (const EventSink sink = g_sink.load()) sink(event, fields);
}

const char* to_string(Event e) {
  switch (e) {
    case Event::start: return "start";
    case Event::driver: return "driver";
    case Event::skip: return "skip";
    case Event::seed: return "seed";
    case Event::call: return "call";
    case Event::ret: return "ret";
    case Event::observe: return "observe";
    case Event::finding: return "finding";
    case Event::checkpoint: return "checkpoint";
    case Event::end: return "end";
  }
  return "?";
}

std::optional<Event> event_from_string(std::string_view s) {
  for (Event e : {Event::start, Event::driver, Event::skip, Event::seed, Event::call, Event::ret, Event::observe,
                  Event::finding, Event::checkpoint, Event::end})
    if (s == to_string(e)) return e;
  return std::nullopt;
}

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::unexpected_error: return "unexpected_error";
    case FindingKind::wrong_error: return "wrong_error";
    case FindingKind::unexpected_success: return "unexpected_success";
    case FindingKind::mismatch: return "mismatch";
    case FindingKind::wrong_context: return "wrong_context";
    case FindingKind::wrong_device: return "wrong_device";
    case FindingKind::data_mismatch: return "data_mismatch";
    case FindingKind::handle_invalidated: return "handle_invalidated";
    case FindingKind::context_changed: return "context_changed";
    case FindingKind::sticky_error: return "sticky_error";
    case FindingKind::leak: return "leak";
    case FindingKind::cleanup_failed: return "cleanup_failed";
    case FindingKind::exception: return "exception";
    case FindingKind::crash: return "crash";
    case FindingKind::timeout: return "timeout";
    case FindingKind::early_exit: return "early_exit";
  }
  return "?";
}

std::optional<FindingKind> finding_kind_from_string(std::string_view s) {
  for (int k = 0; k <= static_cast<int>(FindingKind::early_exit); ++k)
    if (s == to_string(static_cast<FindingKind>(k))) return static_cast<FindingKind>(k);
  return std::nullopt;
}

}  // namespace ctxshare
