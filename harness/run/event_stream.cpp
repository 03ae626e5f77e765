#include "harness/run/event_stream.h"

namespace ctxshare {

std::optional<EventRecord> parse_event(std::string_view line) {
  nlohmann::json ev = nlohmann::json::parse(line, nullptr, false);
  if (ev.is_discarded() || !ev.is_object() || !ev.contains("ev") || !ev["ev"].is_string()) return std::nullopt;
  const auto kind = event_from_string(ev["ev"].get<std::string>());
  if (!kind) return std::nullopt;
  ev.erase("ev");
  return EventRecord{*kind, std::move(ev)};
}

}  // namespace ctxshare

#include "harness/run/no_cuda.h"  // last: nothing above may bring CUDA in
