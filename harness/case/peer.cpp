// Peers (peer.h): the case's side starts one and relays what it says; the peer's side runs in a
// process re-executed from /proc/self/exe and says everything as JSON lines on a pipe.
#include "harness/case/peer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>

#include "harness/case/case.h"

extern char** environ;

namespace ctxshare {
namespace {

// Where a peer finds what its case gave it: its events go out on one descriptor, the case's
// messages come in on another, and a descriptor the case passes on arrives as a third.
constexpr int kPeerEventsFd = 100;
constexpr int kPeerCommandsFd = 101;
constexpr int kPeerPassedFd = 102;
constexpr const char* kPeerVariable = "CTXSHARE_PEER";
constexpr const char* kPeerInputVariable = "CTXSHARE_PEER_INPUT";

std::string peer_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string peer_unhex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

double peer_clock() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::map<std::string, PeerBody>& peer_registry() {
  static std::map<std::string, PeerBody> peers;
  return peers;
}

// The peer process's side.
struct PeerSide {
  bool active = false;
  std::string input;
  std::mutex write_mutex;
};
PeerSide& peer_side() {
  static PeerSide side;
  return side;
}

void peer_write_line(const std::string& line) {
  std::lock_guard lock(peer_side().write_mutex);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(kPeerEventsFd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the case is gone
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void peer_sink(Event event, const Value& fields) {
  Value line = {{"ev", to_string(event)}};
  if (const auto* o = fields.as_object())
    for (const auto& [k, v] : *o) line.set(k, v);
  peer_write_line(line.json() + "\n");
}

const Value* peer_field(const Value& v, std::string_view key) {
  if (const auto* o = v.as_object())
    for (const auto& [k, item] : *o)
      if (k == key) return &item;
  return nullptr;
}
std::string peer_text(const Value& v, std::string_view key) {
  const Value* f = peer_field(v, key);
  return f == nullptr ? std::string() : f->text();
}
long long peer_number(const Value& v, std::string_view key) {
  const std::string t = peer_text(v, key);
  return t.empty() ? 0 : std::strtoll(t.c_str(), nullptr, 10);
}

// This process's arguments, as it was started: the peer is started with the same ones.
std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::string current;
  for (char c : all) {
    if (c == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  return args;
}

std::string peer_signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return " (SIGSEGV)";
    case SIGABRT: return " (SIGABRT)";
    case SIGBUS: return " (SIGBUS)";
    case SIGFPE: return " (SIGFPE)";
    case SIGILL: return " (SIGILL)";
    case SIGKILL: return " (SIGKILL)";
    case SIGTERM: return " (SIGTERM)";
  }
  return "";
}

}  // namespace

PeerRegistrar::PeerRegistrar(const char* family, const char* name, PeerBody body) {
  peer_registry()[std::string(family) + "." + name] = body;
}

PeerBody find_peer(const std::string& family, const std::string& name) {
  const auto it = peer_registry().find(family + "." + name);
  return it == peer_registry().end() ? nullptr : it->second;
}

std::optional<std::string> take_peer_request() {
  const char* name = std::getenv(kPeerVariable);
  if (name == nullptr) return std::nullopt;
  const std::string peer = name;
  const char* input = std::getenv(kPeerInputVariable);
  peer_side().active = true;
  peer_side().input = peer_unhex(input != nullptr ? input : "");
  unsetenv(kPeerVariable);  // what this peer starts is no peer
  unsetenv(kPeerInputVariable);
  set_event_sink(peer_sink);
  return peer;
}

// ---- The peer's side of a Case.

const std::string& Case::peer_input() const {
  if (!peer_side().active) throw std::logic_error("peer_input() outside a peer process");
  return peer_side().input;
}

void Case::tell_case(std::string_view message) {
  if (!peer_side().active) throw std::logic_error("tell_case() outside a peer process");
  peer_write_line("@" + peer_hex(message) + "\n");
}

std::string Case::wait_for_case() {
  if (!peer_side().active) throw std::logic_error("wait_for_case() outside a peer process");
  std::string line;
  char c = 0;
  for (;;) {
    const ssize_t n = ::read(kPeerCommandsFd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;  // end of file: the case is gone, and says nothing more
    line.push_back(c);
  }
  return peer_unhex(line);
}

int Case::peer_fd() const {
  if (!peer_side().active) throw std::logic_error("peer_fd() outside a peer process");
  return fcntl(kPeerPassedFd, F_GETFD) == -1 ? -1 : kPeerPassedFd;
}

// ---- The case's side.

Peer::Peer(Case& h, std::string name, std::string input) : Peer(h, std::move(name), std::move(input), Options{}) {}

Peer::Peer(Case& h, std::string name, std::string input, Options options) : h_(h), name_(std::move(name)) {
  if (find_peer(h.def().family, name_) == nullptr)
    throw std::logic_error(h.def().family + " has no peer '" + name_ + "' (CTXSHARE_PEER)");
  signal(SIGPIPE, SIG_IGN);  // a message to a peer that died is an error to note, not this process's end
  // Everything the child needs is built before fork(): after it, only exec's safe calls are made.
  const std::vector<std::string> args = own_arguments();
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, kPeerVariable, std::strlen(kPeerVariable)) != 0) env.emplace_back(*e);
  env.push_back(std::string(kPeerVariable) + "=" + name_);
  env.push_back(std::string(kPeerInputVariable) + "=" + peer_hex(input));
  // Linux takes at most MAX_ARG_STRLEN (32 pages) in one environment string: beyond it execve fails
  // (E2BIG) and the peer never runs, which a case that only observes its peer would not notice.
  constexpr std::size_t kMaxEnvironmentString = 32 * 4096;
  if (env.back().size() + 1 > kMaxEnvironmentString)
    throw std::logic_error("peer '" + name_ + "': an input of " + std::to_string(input.size()) +
                           " bytes does not fit one environment string (" +
                           std::to_string((kMaxEnvironmentString - 2 - std::strlen(kPeerInputVariable)) / 2) +
                           " bytes at most, hex-encoded)");
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int events[2], commands[2];
  if (pipe2(events, O_CLOEXEC) != 0 || pipe2(commands, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_ = fork();
  if (pid_ == 0) {
    if (options.pass_fd >= 0) dup2(options.pass_fd, kPeerPassedFd);
    dup2(events[1], kPeerEventsFd);
    dup2(commands[0], kPeerCommandsFd);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);  // a reproducer's printing is not the peer's to repeat
    execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  close(events[1]);
  close(commands[0]);
  if (devnull >= 0) close(devnull);
  events_fd_ = events[0];
  commands_fd_ = commands[1];
  deadline_ = peer_clock() + options.timeout_s;
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Peer::~Peer() {
  if (!end_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (events_fd_ >= 0) close(events_fd_);
  if (commands_fd_ >= 0) close(commands_fd_);
}

void Peer::relay(std::string_view line) {
  if (!line.empty() && line[0] == '@') {
    messages_.push_back(peer_unhex(line.substr(1)));
    return;
  }
  const std::optional<Value> parsed = Value::parse(line);
  if (!parsed) return;
  const std::string ev = peer_text(*parsed, "ev");
  const std::string prefix = "peer " + name_ + ": ";
  if (ev == "call") {
    const long long seq = peer_number(*parsed, "seq");
    const std::string fn = peer_text(*parsed, "fn");
    const std::uint64_t mine = trace::relay_call(peer_text(*parsed, "api"), fn, static_cast<int>(peer_number(*parsed, "tid")), name_);
    seqs_[seq] = mine;
    open_calls_[static_cast<long long>(mine)] = fn;
    last_call_ = fn;
  } else if (ev == "ret") {
    const auto it = seqs_.find(peer_number(*parsed, "seq"));
    if (it == seqs_.end()) return;
    trace::relay_return(it->second, peer_number(*parsed, "res"), peer_text(*parsed, "err"), peer_number(*parsed, "us"));
    open_calls_.erase(static_cast<long long>(it->second));
  } else if (ev == "observe") {
    const Value* value = peer_field(*parsed, "value");
    emit(Event::observe, {{"key", prefix + peer_text(*parsed, "key")}, {"value", value != nullptr ? *value : Value()}});
  } else if (ev == "finding") {
    const Value* evidence = peer_field(*parsed, "evidence");
    std::string message = prefix + peer_text(*parsed, "message");
    if (const std::string where = peer_text(*parsed, "where"); !where.empty()) message += " (" + where + ")";
    record_finding(finding_kind_from_string(peer_text(*parsed, "kind")).value_or(FindingKind::exception), message,
                   evidence != nullptr ? *evidence : Value(), nullptr, 0);
  } else if (ev == "checkpoint") {
    emit(Event::checkpoint, {{"label", prefix + peer_text(*parsed, "label")}});
  } else if (ev == "skip") {
    skipped_ = peer_text(*parsed, "reason");
  } else if (ev == "end") {
    saw_end_ = true;
    findings_ = static_cast<int>(peer_number(*parsed, "findings"));
  }
}

bool Peer::read_some(int timeout_ms, bool* got) {
  if (got != nullptr) *got = false;
  if (events_fd_ < 0) return false;
  pollfd p{events_fd_, POLLIN, 0};
  const int ready = poll(&p, 1, timeout_ms);
  if (ready <= 0) return ready == 0 || errno == EINTR;
  char buf[65536];
  const ssize_t n = ::read(events_fd_, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {  // end of file: the peer and whatever it started are gone
    close(events_fd_);
    events_fd_ = -1;
    return false;
  }
  if (got != nullptr) *got = true;
  pending_.append(buf, static_cast<std::size_t>(n));
  std::size_t start = 0, nl;
  while ((nl = pending_.find('\n', start)) != std::string::npos) {
    relay(std::string_view(pending_).substr(start, nl - start));
    start = nl + 1;
  }
  pending_.erase(0, start);
  return true;
}

std::optional<std::string> Peer::receive() {
  while (messages_.empty() && !end_) {
    const double left = deadline_ - peer_clock();
    if (left <= 0 || !read_some(static_cast<int>(std::min(left, 0.2) * 1000) + 1)) {
      if (left <= 0 || events_fd_ < 0) wait();
    }
  }
  if (messages_.empty()) return std::nullopt;
  std::string m = std::move(messages_.front());
  messages_.erase(messages_.begin());
  return m;
}

void Peer::send(std::string_view message) {
  if (commands_fd_ < 0) return;
  const std::string line = peer_hex(message) + "\n";
  if (::write(commands_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    h_.observe("peer " + name_ + ": a message to it was lost", true);
}

const PeerEnd& Peer::wait() {
  if (end_) return *end_;
  if (commands_fd_ >= 0) {  // whatever it waits for from the case will not come
    close(commands_fd_);
    commands_fd_ = -1;
  }
  int status = 0;
  bool hung = false;
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    const double left = deadline_ - peer_clock();
    if (left <= 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      hung = true;
      break;
    }
    if (!read_some(static_cast<int>(std::min(left, 0.05) * 1000) + 1) && events_fd_ < 0)
      usleep(10000);  // it closed its events and has not exited yet
  }
  for (bool got = true; got && read_some(0, &got);) {
  }
  end_of_peer(status, hung);
  return *end_;
}

void Peer::end_of_peer(int status, bool hung) {
  PeerEnd end;
  const std::string during = open_calls_.empty() ? std::string() : " during " + open_calls_.rbegin()->second;
  for (const auto& [seq, fn] : open_calls_)
    trace::relay_return(static_cast<std::uint64_t>(seq), -1, hung ? "the peer hung in it" : "the peer ended in it", 0);
  open_calls_.clear();
  end.finished = saw_end_;
  end.hung = hung;
  if (hung) {
    end.words = "hung: killed at its deadline" + during;
  } else if (WIFSIGNALED(status)) {
    end.signal = WTERMSIG(status);
    end.words = "killed by signal " + std::to_string(end.signal) + peer_signal_name(end.signal) + during;
  } else {
    end.exit_code = WEXITSTATUS(status);
    end.words = "exited " + std::to_string(end.exit_code) + (saw_end_ ? "" : " before its function returned");
  }
  end.clean = end.finished && end.exit_code == 0 && findings_ == 0;
  end_ = end;
  h_.observe("peer " + name_ + ": ended", end_->words);
  if (!skipped_.empty() && findings_ == 0) h_.skip("the peer " + name_ + " skipped: " + skipped_);
}

}  // namespace ctxshare
