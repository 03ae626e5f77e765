// The suite's event sink: each event one JSON line, written with one write() as it happens, to the fd
// the runner reads. Only a case's child installs it: elsewhere (the scheduler, env, bench) events are dropped.
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "harness/case/case.h"
#include "harness/child/child.h"
#include "harness/spec/events.h"

namespace ctxshare {
namespace {

int g_fd = -1;
std::mutex g_write_mutex;

void write_all(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(g_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the runner is gone; nothing left to tell
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void write_json_line(Event event, const Value& fields) {
  if (g_fd < 0) return;
  Value line = {{"ev", to_string(event)}};
  if (const auto* o = fields.as_object())
    for (const auto& [k, v] : *o) line.set(k, v);
  std::string text = line.json();
  text.push_back('\n');
  std::lock_guard lock(g_write_mutex);
  write_all(text);
}

}  // namespace

int run_case_in_this_process(const CaseDef& def, int event_fd) {
  g_fd = event_fd;
  set_event_sink(write_json_line);
  run_case(def);
  return 0;
}

}  // namespace ctxshare
