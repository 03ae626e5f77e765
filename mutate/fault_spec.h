// The fault spec of mutate/'s libcuda.so.1 (docs/mutation.md), parsed the same way by the library
// (from CTXSHARE_FAULT) and by `ctxshare mutate` (which checks each spec before a process starts).
// Header only, the standard library only: the library links nothing of the harness.
//
//   SYMBOL[#N][@T]:KIND[:ARG]
//     SYMBOL  an exported driver entry point (cuMemcpyDtoH_v2, cuCtxGetCurrent, ...)
//     #N      only the Nth call of SYMBOL (1-based), counted over the process, or over thread T
//     @T      only calls on thread T: the threads that call SYMBOL, numbered from 0 in the order of
//             their first call of it
//     KIND    error:CODE        return CODE without calling the driver
//             skip              return CUDA_SUCCESS without calling the driver
//             work_then_error:CODE  call the driver, then return CODE
//             change[:WHAT]     call the driver, then change what it wrote (typed getters only:
//                               kChangeable below; WHAT picks among that getter's changes)
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

namespace ctxshare_mutate {

enum class FaultKind { error, skip, work_then_error, change };

struct FaultSpec {
  std::string symbol;
  long nth = 0;      // 0: every call
  long thread = -1;  // -1: any thread
  FaultKind kind = FaultKind::skip;
  int code = 0;      // error, work_then_error
  std::string what;  // change: the getter's change, or its default
};

// The getters whose outputs `change` knows, and the changes each allows (the first is the default).
struct Changeable {
  const char* symbol;
  const char* changes;  // space separated
};
inline constexpr Changeable kChangeable[] = {
    {"cuCtxGetCurrent", "differ null other"},
    {"cuStreamGetCtx", "differ null other"},
    {"cuStreamGetCtx_ptsz", "differ null other"},
    {"cuCtxGetDevice", "ordinal"},
    {"cuDeviceGet", "ordinal"},
    {"cuDriverGetVersion", "version"},
    {"cuPointerGetAttribute", "attribute"},
    {"cuCtxGetFlags", "flags"},
    {"cuDevicePrimaryCtxGetState", "active flags"},
};

inline const char* changes_of(const std::string& symbol) {
  for (const auto& c : kChangeable)
    if (symbol == c.symbol) return c.changes;
  return nullptr;
}

inline bool has_word(const char* words, const std::string& word) {
  const std::string all = std::string(" ") + words + " ";
  return all.find(" " + word + " ") != std::string::npos;
}

inline bool parse_number(const std::string& text, long* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

// Parses text into *spec; on a bad spec returns false with the reason in *why. is_symbol says whether
// a name is an entry point the library can mutate (null: any cu* name).
template <typename IsSymbol>
bool parse_fault_spec(const std::string& text, FaultSpec* spec, std::string* why, IsSymbol is_symbol) {
  FaultSpec s;
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return *why = "no ':KIND' (SYMBOL[#N][@T]:KIND[:ARG])", false;
  std::string head = text.substr(0, colon);
  const std::string rest = text.substr(colon + 1);
  const std::size_t at = head.find('@');
  if (at != std::string::npos) {
    if (!parse_number(head.substr(at + 1), &s.thread) || s.thread < 0) return *why = "bad thread after '@'", false;
    head = head.substr(0, at);
  }
  const std::size_t hash = head.find('#');
  if (hash != std::string::npos) {
    if (!parse_number(head.substr(hash + 1), &s.nth) || s.nth < 1) return *why = "bad call number after '#' (1 is the first)", false;
    head = head.substr(0, hash);
  }
  s.symbol = head;
  if (s.symbol.rfind("cu", 0) != 0) return *why = "'" + s.symbol + "' is not a driver entry point", false;
  if (!is_symbol(s.symbol)) return *why = "'" + s.symbol + "' is not an entry point of this libcuda.so.1", false;
  const std::size_t colon2 = rest.find(':');
  const std::string kind = rest.substr(0, colon2);
  const std::string arg = colon2 == std::string::npos ? "" : rest.substr(colon2 + 1);
  const bool has_arg = colon2 != std::string::npos;
  long code = 0;
  if (kind == "error" || kind == "work_then_error") {
    s.kind = kind == "error" ? FaultKind::error : FaultKind::work_then_error;
    if (!parse_number(arg, &code) || code <= 0 || code > 100000) return *why = kind + " needs a CUresult code > 0, e.g. " + kind + ":201", false;
    s.code = static_cast<int>(code);
  } else if (kind == "skip") {
    if (has_arg) return *why = "skip takes no argument", false;
    s.kind = FaultKind::skip;
  } else if (kind == "change") {
    const char* changes = changes_of(s.symbol);
    if (changes == nullptr) return *why = "change is for the typed getters only (cuCtxGetCurrent, cuDeviceGet, ...), not " + s.symbol, false;
    s.kind = FaultKind::change;
    s.what = has_arg ? arg : std::string(changes, std::strcspn(changes, " "));
    if (!has_word(changes, s.what)) return *why = s.symbol + " can change: " + changes, false;
  } else {
    return *why = "unknown kind '" + kind + "' (error:CODE, skip, work_then_error:CODE, change[:WHAT])", false;
  }
  *spec = s;
  return true;
}

inline std::string to_string(const FaultSpec& s) {
  std::string out = s.symbol;
  if (s.nth > 0) out += "#" + std::to_string(s.nth);
  if (s.thread >= 0) out += "@" + std::to_string(s.thread);
  switch (s.kind) {
    case FaultKind::error: return out + ":error:" + std::to_string(s.code);
    case FaultKind::skip: return out + ":skip";
    case FaultKind::work_then_error: return out + ":work_then_error:" + std::to_string(s.code);
    case FaultKind::change: return out + ":change:" + s.what;
  }
  return out;
}

}  // namespace ctxshare_mutate
