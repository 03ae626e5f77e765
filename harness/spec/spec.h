// What a case declares: its claims, source, documented verdict, needs, labels and variant axes, and
// the registry that CTXSHARE_CASE fills. No CUDA header comes in here: the scheduler, which must never
// initialize CUDA, reads cases through this file alone.
//
//   CTXSHARE_CASE(runtime_first, cudaSetDevice_makes_primary_current,
//                 {.claims = {"RT-SETDEVICE"}, .source = "cuda_runtime_api.h: cudaSetDevice"}) {
//     CUDA(cudaSetDevice(0));
//     ...
//   }
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/spec/axis.h"

namespace ctxshare {

// What the documentation says, and so what kind of case this is (docs/results.md):
//   conformance: works or fails as documented; a deviation is a finding about the driver.
//   hazard: a misuse, or a use after destruction or reset, whose outcome is undocumented; the case
//     records what happened (codes, data, a crash and the call it died in) and is judged against the
//     baseline, what was seen before on that driver and build, never against an invented answer.
//   measurement: timings; never evidence for a claim.
enum class Verdict {
  works,        // conformance: every step must succeed as documented
  fails,        // conformance: a documented misuse, the named error must come back
  hazard,       // undocumented territory: record what happens
  measurement,  // how long things take
};
const char* to_string(Verdict v);
// "conformance", "hazard" or "measurement".
const char* kind_of(Verdict v);

struct Needs {
  int devices = 1;                 // 0: the case never touches CUDA (harness self-tests)
  int min_driver = 0;              // cuDriverGetVersion, e.g. 12040
  int min_compute_capability = 0;  // major*10+minor of device 0, e.g. 90
  std::vector<std::string> libraries;  // "cublas", "nvrtc"
  int min_toolkit = 0;             // CUDART_VERSION built with, e.g. 13000; older builds compile the body out
};

struct CaseSpec {
  std::vector<std::string> claims;  // ids from shared/reference/claims.md
  std::string source;               // the documentation the case follows
  Verdict verdict = Verdict::works;
  // Why this conformance case proves only part of what its claims say (docs/claims.md lists it as
  // weak evidence); empty: it fails whenever the behaviour it names breaks (docs/writing-cases.md).
  std::string weak_evidence;
  std::string expected_error;       // with Verdict::fails: the documented error's name
  Needs needs;
  std::vector<std::string> labels;  // besides the family, which is always a label
  // For a "real-world" case: how a program avoids what the case shows, one or two sentences; the
  // "what breaks and how to avoid it" sections of docs/patterns.md quote it beside the case's result.
  std::string avoid;
  int timeout_s = 60;
  bool exclusive = false;           // must have the device to itself (resets, timing)
  // One case per combination of the axes' values: id family.name.value1.value2... (axis.h).
  std::vector<Axis> axes;
  // Variables the case's process starts with: what CUDA reads before any call (CUDA_MODULE_LOADING).
  std::vector<std::pair<std::string, std::string>> environment;
};

class Case;
using CaseBody = void (*)(Case&);

struct CaseDef {
  std::string id;
  std::string family;
  std::string name;                 // the CTXSHARE_CASE name, without the variant
  std::string variant;              // the axes' values joined by '.', empty without axes
  std::vector<AxisValue> params;    // one per axis, in the spec's order
  CaseSpec spec;
  CaseBody body = nullptr;
  std::string file;
  int line = 0;
};

// Every registered case, in id order, variants expanded.
const std::vector<CaseDef>& cases();
const CaseDef* find_case(std::string_view id);

struct Registrar {
  Registrar(const char* family, const char* name, CaseSpec spec, CaseBody body, const char* file, int line);
};

}  // namespace ctxshare

#define CTXSHARE_CASE(family, name, ...)                                                              \
  static void ctxshare_case_##family##__##name(::ctxshare::Case& h);                                 \
  static const ::ctxshare::Registrar ctxshare_registrar_##family##__##name{                          \
      #family, #name, ::ctxshare::CaseSpec __VA_ARGS__, &ctxshare_case_##family##__##name, __FILE__, \
      __LINE__};                                                                                     \
  static void ctxshare_case_##family##__##name([[maybe_unused]] ::ctxshare::Case& h)
