// `ctxshare mutate` without a GPU: mutate/'s libcuda.so.1 forwarding to the fake driver
// (tests/watch/fake_driver.cpp) under the probe (tests/mutate/probe.cpp): each fault kind, the call
// and thread selection, cuGetProcAddress's redirection, record mode, bad specs; then the command end
// to end over a self-test case, one mutant killed and one survived; and the committed docs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <string>

#include "harness/reports/mutation.h"
#include "process.h"
#include "tests/paths.h"

namespace {

const std::string kFakeDriver = FAKE_DRIVER;
const std::string kMutateDriver = MUTATE_DRIVER;
const std::string kMutateDir = kMutateDriver.substr(0, kMutateDriver.rfind('/'));

Ran probe(const std::string& scenario, const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> all = {{"LD_LIBRARY_PATH", kMutateDir}, {"CTXSHARE_MUTATE_REAL_DRIVER", kFakeDriver}};
  all.insert(env.begin(), env.end());
  return run({MUTATE_PROBE, scenario}, all);
}
Ran fault(const std::string& scenario, const std::string& spec) { return probe(scenario, {{"CTXSHARE_FAULT", spec}}); }

TEST(MutateDriver, ForwardsEverythingWithoutAFault) {
  EXPECT_EQ(probe("version", {}).out, "exported: 0 13000\nexported: 0 13000\nresolved: 0 13000\n");
  EXPECT_EQ(probe("name", {}).out, "name: 0 fake device 0\n");  // a symbol no test faults
}

TEST(MutateDriver, ErrorReturnsTheCodeWithoutTheWork) {
  EXPECT_EQ(fault("version", "cuDriverGetVersion#2:error:999").out, "exported: 0 13000\nexported: 999 -1\nresolved: 0 13000\n");
}

TEST(MutateDriver, SkipReturnsSuccessWithoutTheWork) {
  EXPECT_EQ(fault("version", "cuDriverGetVersion:skip").out, "exported: 0 -1\nexported: 0 -1\nresolved: 0 -1\n");
}

TEST(MutateDriver, WorkThenErrorDoesTheWorkAndReportsTheCode) {
  EXPECT_EQ(fault("context", "cuCtxCreate_v4:work_then_error:9").out, "create: 9 made a context, current is it: yes\ndevice: 0 0\n");
}

TEST(MutateDriver, ChangeAltersTheGettersOutput) {
  EXPECT_EQ(fault("context", "cuCtxGetCurrent:change").out, "create: 0 made a context, current is it: no\ndevice: 0 0\n");
  EXPECT_EQ(fault("context", "cuDeviceGet:change").out, "create: 0 made a context, current is it: yes\ndevice: 0 1\n");
  // A context getter's default change always changes it: a null answer becomes a context.
  EXPECT_EQ(probe("nothing_current", {}).out, "current: 0 null\n");
  EXPECT_EQ(fault("nothing_current", "cuCtxGetCurrent:change").out, "current: 0 a context\n");
  EXPECT_EQ(fault("nothing_current", "cuCtxGetCurrent:change:null").out, "current: 0 null\n");
}

TEST(MutateDriver, ReachesPointersFromAResolvedCuGetProcAddress) {
  EXPECT_EQ(fault("version", "cuDriverGetVersion#3:change").out, "exported: 0 13000\nexported: 0 13000\nresolved: 0 12000\n");
}

// cuGetProcAddress_v2 is the library's own function, not a stub: faulted and recorded all the same.
TEST(MutateDriver, FaultsTheEntryPointLookupToo) {
  EXPECT_EQ(probe("lookup", {}).out, "lookup: 0 found\nlookup: 0 found\n");
  EXPECT_EQ(fault("lookup", "cuGetProcAddress_v2#2:error:500").out, "lookup: 0 found\nlookup: 500 null\n");
  EXPECT_EQ(fault("lookup", "cuGetProcAddress_v2#1:skip").out, "lookup: 0 null\nlookup: 0 found\n");
  EXPECT_EQ(fault("lookup", "cuGetProcAddress_v2@0:error:500").exit_code, 2);
  TempDir dir;
  ASSERT_EQ(probe("lookup", {{"CTXSHARE_FAULT_RECORD", dir.file("calls")}}).exit_code, 0);
  const ctxshare::Record record = ctxshare::read_record(dir.file("calls"));
  ASSERT_EQ(record.calls.size(), 2u);
  EXPECT_EQ(record.calls[1].symbol, "cuGetProcAddress_v2");
  EXPECT_EQ(record.calls[1].nth, 2);
}

TEST(MutateDriver, SelectsTheCallOnItsThread) {
  EXPECT_EQ(fault("threads", "cuDriverGetVersion@1:error:5").out, "main: 0 13000\nother: 5 -1\nmain: 0 13000\n");
  EXPECT_EQ(fault("threads", "cuDriverGetVersion#2@0:error:5").out, "main: 0 13000\nother: 0 13000\nmain: 5 -1\n");
}

TEST(MutateDriver, RecordsEachCallWithItsNumberAndThread) {
  TempDir dir;
  const Ran r = probe("threads", {{"CTXSHARE_FAULT_RECORD", dir.file("calls")}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const ctxshare::Record record = ctxshare::read_record(dir.file("calls"));
  EXPECT_EQ(record.processes, 1);
  EXPECT_TRUE(record.loaded);
  ASSERT_EQ(record.calls.size(), 3u);
  EXPECT_EQ(record.calls[1].symbol, "cuDriverGetVersion");
  EXPECT_EQ(record.calls[1].nth, 2);
  EXPECT_EQ(record.calls[1].thread, 1);
  EXPECT_EQ(record.calls[2].thread_nth, 2);
}

TEST(MutateDriver, RecordsWhichCallsTheCaseMadeItself) {
  TempDir dir;
  const Ran r = probe("marked", {{"CTXSHARE_FAULT_RECORD", dir.file("calls")}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const ctxshare::Record record = ctxshare::read_record(dir.file("calls"));
  ASSERT_EQ(record.calls.size(), 3u);
  EXPECT_FALSE(record.calls[0].by_case);
  EXPECT_TRUE(record.calls[1].by_case);
  EXPECT_EQ(record.calls[1].nth, 2);
  EXPECT_FALSE(record.calls[2].by_case);
}

TEST(MutateDriver, ABadSpecIsOneLineAndExit2) {
  for (const std::string spec : {"cuDriverGetVersion", "cuNoSuchCall:skip", "cuDriverGetVersion#0:skip", "cuDriverGetVersion:error",
                                 "cuMemFree_v2:change", "cuDriverGetVersion:explode", "cuDriverGetVersion:skip:1"}) {
    const Ran r = fault("version", spec);
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_EQ(r.err.rfind("ctxshare-mutate: bad CTXSHARE_FAULT", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Derive, PrefersWhatCasesDependOnOnePerEntryPoint) {
  ctxshare::Record record;
  record.calls = {{"cuInit", 1, 0, 1}, {"cuMemcpyDtoH_v2", 1, 0, 1}, {"cuMemcpyDtoH_v2", 2, 0, 2}, {"cuCtxGetCurrent", 1, 0, 1},
                  {"cuStreamCreate", 1, 0, 1}, {"cuStreamCreate", 2, 0, 2}};
  // None is the case's own: the current context, asked around every call, and start-up come last.
  EXPECT_EQ(ctxshare::derive_faults(record, 3),
            (std::vector<std::string>{"cuMemcpyDtoH_v2#2:skip", "cuStreamCreate#1:error:2", "cuCtxGetCurrent#1:change"}));
  EXPECT_EQ(ctxshare::derive_faults(record, 4).back(), "cuInit#1:error:999");
  EXPECT_EQ(ctxshare::derive_faults(record, 5).back(), "cuMemcpyDtoH_v2#2:work_then_error:999");
}

// A getter with several changes gets each (a context getter's one `differ` covers its others).
TEST(Derive, EveryChangeOfAGetter) {
  ctxshare::Record record;
  record.calls = {{"cuDevicePrimaryCtxGetState", 1, 0, 1, true}, {"cuCtxGetCurrent", 1, 0, 1, true}};
  EXPECT_EQ(ctxshare::derive_faults(record, 4),
            (std::vector<std::string>{"cuCtxGetCurrent#1:change", "cuDevicePrimaryCtxGetState#1:change",
                                      "cuDevicePrimaryCtxGetState#1:change:flags", "cuCtxGetCurrent#1:error:999"}));
}

// A call the case made itself comes before any the runtime or the harness made, at its own number.
TEST(Derive, TheCasesOwnCallsComeFirst) {
  ctxshare::Record record;
  record.calls = {{"cuCtxGetCurrent", 1, 0, 1}, {"cuCtxGetCurrent", 2, 0, 2, true}, {"cuCtxGetCurrent", 3, 0, 3},
                  {"cuMemGetInfo_v2", 1, 1, 1, true}, {"cuMemcpyDtoH_v2", 1, 0, 1}, {"cuDeviceGet", 4, 0, 4, true}};
  EXPECT_EQ(ctxshare::derive_faults(record, 4), (std::vector<std::string>{"cuCtxGetCurrent#2:change", "cuDeviceGet#4:change",
                                                                          "cuMemGetInfo_v2#1:error:999", "cuCtxGetCurrent#2:error:999"}));
  EXPECT_EQ(ctxshare::derive_faults(record, 6).back(), "cuMemcpyDtoH_v2#1:skip");
}

// An explanation applies where its case and fault globs match and its call and outcome, if named, agree.
TEST(MutateDocs, ExplanationsMatchCaseFaultCallAndOutcome) {
  nlohmann::json doc = {{"cases", {{{"id", "f.a"}, {"family", "f"}, {"kind", "conformance"}, {"reference", {{"outcome", "passed"}}},
                                    {"mutants", {{{"fault", "cuX#1:skip"}, {"call", "case"}, {"outcome", "passed"}, {"verdict", "survived"}},
                                                 {{"fault", "cuX#2:skip"}, {"call", "runtime or harness"}, {"outcome", "passed"}, {"verdict", "survived"}},
                                                 {{"fault", "cuY#1:skip"}, {"call", "case"}, {"outcome", "skipped"}, {"verdict", "survived"}}}}}}}};
  ctxshare::score_mutation(doc);
  const nlohmann::json explained = {{{"case", "f.*"}, {"fault", "cuX#*:skip"}, {"call", "case"}, {"why", "ONLY-THE-CASES"}},
                                    {{"case", "*"}, {"fault", "*"}, {"outcome", "skipped"}, {"why", "IT-SKIPPED"}}};
  const std::string md = ctxshare::mutation_markdown(doc, explained);
  EXPECT_NE(md.find("`cuX#1:skip` | case | passed | ONLY-THE-CASES"), std::string::npos) << md;
  EXPECT_NE(md.find("`cuX#2:skip` | runtime or harness | passed | **not explained yet**"), std::string::npos) << md;
  EXPECT_NE(md.find("`cuY#1:skip` | case | skipped | IT-SKIPPED"), std::string::npos) << md;
  EXPECT_NE(md.find("Unexplained: 1."), std::string::npos) << md;
}

// The command over a self-test case: one fault it notices, one it cannot (the fake ignores cuInit).
TEST(MutateCommand, KillsAndSurvivesEndToEnd) {
  TempDir dir;
  const Ran r = run({CTXSHARE_SELFTEST_EXE, "mutate", "selftest.driver_version_is_stable", "--fault", "cuDriverGetVersion#2:change",
                     "--fault", "cuInit:skip", "--fault", "cuDriverGetVersion#9:change", "--json", dir.file("m.json"), "--docs", dir.path},
                    {{"CTXSHARE_MUTATE_DRIVER_DIR", kMutateDir}, {"CTXSHARE_MUTATE_REAL_DRIVER", kFakeDriver}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(read_file(dir.file("m.json")), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  const auto& c = doc["cases"][0];
  EXPECT_EQ(c["reference"].value("outcome", ""), "passed") << c.dump(2);
  ASSERT_EQ(c["mutants"].size(), 3u) << c.dump(2);
  EXPECT_EQ(c["mutants"][0].value("verdict", ""), "killed");
  EXPECT_EQ(c["mutants"][0]["findings"][0], "mismatch");
  EXPECT_EQ(c["mutants"][1].value("verdict", ""), "survived");
  EXPECT_EQ(c["mutants"][2].value("verdict", ""), "not_reached");  // the case makes two calls, not nine
  EXPECT_EQ(doc["overall"]["conformance"].value("cases_killed", 0), 1);
  EXPECT_EQ(doc["overall"]["conformance"].value("mutants", 0), 2);
  EXPECT_NE(read_file(dir.file("mutation.md")).find("`selftest.driver_version_is_stable` | `cuInit:skip` | runtime or harness | passed | **not explained yet**"),
            std::string::npos);
  EXPECT_NE(read_file(dir.file("mutation.md")).find("- `selftest.driver_version_is_stable` under `cuDriverGetVersion#9:change` (passed)"),
            std::string::npos);
  // Derived faults: the calls it made, at most 2.
  const Ran derived = run({CTXSHARE_SELFTEST_EXE, "mutate", "selftest.driver_version_is_stable", "--max-per-case", "2", "--json", dir.file("d.json")},
                          {{"CTXSHARE_MUTATE_DRIVER_DIR", kMutateDir}, {"CTXSHARE_MUTATE_REAL_DRIVER", kFakeDriver}});
  ASSERT_EQ(derived.exit_code, 0) << derived.out << derived.err;
  const auto d = nlohmann::json::parse(read_file(dir.file("d.json")), nullptr, false);
  ASSERT_EQ(d["cases"][0]["mutants"].size(), 2u) << d.dump(2);
  // The first is the case's own cuDriverGetVersion (the harness's load_driver made call 1), which it checks.
  EXPECT_EQ(d["cases"][0]["mutants"][0].value("fault", ""), "cuDriverGetVersion#2:change") << d.dump(2);
  EXPECT_EQ(d["cases"][0]["mutants"][0].value("verdict", ""), "killed") << d.dump(2);
}

TEST(MutateCommand, ABadFaultIsBadInput) {
  const Ran r = run({CTXSHARE_SELFTEST_EXE, "mutate", "selftest.passes", "--fault", "cuInit:explode"}, {});
  EXPECT_EQ(r.exit_code, 2);
}

// docs/mutation.md is what the committed run generates.
TEST(MutateDocs, MatchTheCommittedRun) {
  TempDir dir;
  const std::string source = CTXSHARE_SOURCE_DIR;
  const Ran r = run({CTXSHARE_EXE, "mutate", "--from", source + "/docs/mutation/mutation.json", "--docs", dir.path, "--explained",
                     source + "/docs/mutation/explained.json"},
                    {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir.file("mutation.md")), read_file(source + "/docs/mutation.md"))
      << "regenerate: ctxshare mutate --from docs/mutation/mutation.json --docs docs";
}

}  // namespace
