// A peer: a second process for a case that needs one (an IPC handle opened in another process).
// CUDA must not be used across fork() (cases/fork.cu), so the peer is this same binary started
// afresh through /proc/self/exe with the arguments it was started with, told by the variable
// CTXSHARE_PEER to run the named peer function of the same case instead of its body. It starts with
// CUDA untouched (cuInit only, as a body does), and its events (calls, observations, findings) come
// back to the case through a pipe, marked as the peer's; so does how it ended.
//
//   CTXSHARE_PEER(interprocess, open_and_read) {           // runs in the peer process
//     const std::string handle = h.peer_input();
//     ... cuIpcOpenMemHandle(...) ...
//     h.tell_case(words_as_bytes);                         // a message to the case
//   }
//   CTXSHARE_CASE(interprocess, ...) {                     // runs in the case process
//     Peer peer(h, "open_and_read", handle_bytes);
//     std::optional<std::string> words = peer.receive();   // its message, or nullopt if it ended first
//     const PeerEnd& end = peer.wait();                    // observed as "peer open_and_read: ended"
//   }
//
// The suite's child and a reproducer both re-execute themselves the same way: a reproducer needs
// nothing more than its one case's file.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctxshare {

class Case;
struct CaseDef;

using PeerBody = void (*)(Case& h);
struct PeerRegistrar {
  PeerRegistrar(const char* family, const char* name, PeerBody body);
};

// How a peer ended.
struct PeerEnd {
  bool finished = false;  // its function returned and its end-of-case checks ran
  bool hung = false;      // killed at its deadline
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal ended it
  std::string words;      // "exited 0", "killed by signal 11 (SIGSEGV) during cuIpcOpenMemHandle", ...
  // Its function returned, it exited 0, and it recorded no finding.
  bool clean = false;
};

class Peer {
 public:
  struct Options {
    int timeout_s = 20;  // then it is killed and reported hung
    int pass_fd = -1;    // a descriptor of this process the peer receives as h.peer_fd()
  };
  // Starts the peer function `name` of this case's family in a fresh process, handing it `input`.
  Peer(Case& h, std::string name, std::string input);
  Peer(Case& h, std::string name, std::string input, Options options);
  ~Peer();  // a peer still running is killed
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // The next message it sent with h.tell_case(), relaying its events until then; nullopt when it
  // ended (or hung) first.
  std::optional<std::string> receive();
  // What its next h.wait_for_case() returns.
  void send(std::string_view message);
  // Waits for it to end (killing it at its deadline), relays the rest of its events and observes
  // how it ended as "peer NAME: ended".
  const PeerEnd& wait();

 private:
  void relay(std::string_view line);
  // Relays what arrives within timeout_ms (*got: whether anything did); false once the peer's end
  // of the pipe is closed.
  bool read_some(int timeout_ms, bool* got = nullptr);
  void end_of_peer(int status, bool hung);

  Case& h_;
  std::string name_;
  pid_t pid_ = -1;
  int events_fd_ = -1;
  int commands_fd_ = -1;
  double deadline_ = 0;
  std::string pending_;
  std::optional<PeerEnd> end_;
  std::map<long long, unsigned long long> seqs_;  // the peer's call numbers -> this trace's
  std::map<long long, std::string> open_calls_;   // the parent's numbers of calls not yet returned
  std::string last_call_;
  std::vector<std::string> messages_;
  bool saw_end_ = false;
  int findings_ = 0;
  std::string skipped_;
};

// In a peer process: the name of the peer function it is to run, its event sink installed; nullopt
// in any other process (run_case asks first).
std::optional<std::string> take_peer_request();
// The peer function `name` of a family, or null.
PeerBody find_peer(const std::string& family, const std::string& name);

}  // namespace ctxshare

#define CTXSHARE_PEER(family, name)                                                                   \
  static void ctxshare_peer_##family##__##name(::ctxshare::Case& h);                                 \
  static const ::ctxshare::PeerRegistrar ctxshare_peer_registrar_##family##__##name{                 \
      #family, #name, &ctxshare_peer_##family##__##name};                                            \
  static void ctxshare_peer_##family##__##name([[maybe_unused]] ::ctxshare::Case& h)
