// The runner's side of the child-to-runner protocol (harness/spec/events.h): one JSON line, one event.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

#include "harness/spec/events.h"

namespace ctxshare {

struct EventRecord {
  Event kind;
  nlohmann::json fields;  // the line's object without its "ev" member
};

// The event a line carries; nullopt for a line that is not one (the runner counts them as malformed).
std::optional<EventRecord> parse_event(std::string_view line);

}  // namespace ctxshare
