// Tests of the case layer without a GPU: evidence values, axes, run-time skips, the no-check rule, and
// the reproducer's copy of the layer being the harness's own text.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/reports/repro_source.h"
#include "harness/spec/value.h"
#include "process.h"
#include "tests/paths.h"

using nlohmann::json;

namespace {

const std::string kSelftest = CTXSHARE_SELFTEST_EXE;
const std::string kSource = CTXSHARE_SOURCE_DIR;
const std::map<std::string, std::string> kNoDriver = {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"}};

json run_one(const std::string& id) {
  TempDir tmp;
  const Ran r = run({kSelftest, "run", id, "--json", tmp.file("r.json")}, kNoDriver);
  const json results = json::parse(read_file(tmp.file("r.json")));
  return results["cases"][0];
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(Value, BracesMakeObjectsOfPairsAndArraysOfTheRest) {
  using ctxshare::Value;
  const Value object = {{"expected", 3}, {"observed", "CUDA_ERROR_INVALID_VALUE"}};
  EXPECT_EQ(json::parse(object.json()), (json{{"expected", 3}, {"observed", "CUDA_ERROR_INVALID_VALUE"}}));
  const Value array = {1, 2, 3};
  EXPECT_EQ(json::parse(array.json()), json::array({1, 2, 3}));
  const Value nested = {{"before", {{"active", 1}}}, {"list", std::vector<int>{4, 5}}, {"none", nullptr}};
  EXPECT_EQ(json::parse(nested.json()), (json{{"before", {{"active", 1}}}, {"list", {4, 5}}, {"none", nullptr}}));
}

TEST(Value, WritesJsonThatParsesBackWhateverTheBytes) {
  using ctxshare::Value;
  const std::string awkward = std::string("quote \" backslash \\ newline \n tab \t bell \x07 ") + "caf\xc3\xa9 bad \xff\xfe end";
  const Value v = {{"log", awkward}, {"big", 18446744073709551615ull}, {"negative", -5}, {"ratio", 0.25}};
  const json parsed = json::parse(v.json());
  EXPECT_EQ(parsed["big"].get<unsigned long long>(), 18446744073709551615ull);
  EXPECT_EQ(parsed["negative"], -5);
  EXPECT_EQ(parsed["ratio"], 0.25);
  const std::string log = parsed["log"];
  EXPECT_NE(log.find("quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9"), std::string::npos);
  EXPECT_NE(log.find("bad \xEF\xBF\xBD\xEF\xBF\xBD end"), std::string::npos);  // invalid bytes become U+FFFD
}

TEST(Axes, EveryCombinationIsACaseWithItsValuesNamed) {
  const json cases = json::parse(run({kSelftest, "list", "--json", "selftest.sleeps"}).out);
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[1]["id"], "selftest.sleeps.b");
  EXPECT_EQ(cases[1]["axes"], (json{{"Sleeper", "b"}}));
}

TEST(RunTimeSkip, IsASkipWithTheReasonNeverAPass) {
  const json c = run_one("selftest.skips_at_run_time");
  EXPECT_EQ(c["outcome"], "skipped");
  EXPECT_EQ(c["reason"], "device 0 cannot access device 1");
  EXPECT_TRUE(c["findings"].empty());
}

TEST(RunTimeSkip, FromAThreadOfTheCaseIsTheCasesSkip) {
  const json c = run_one("selftest.skips_on_a_thread");
  EXPECT_EQ(c["outcome"], "skipped");
  EXPECT_EQ(c["reason"], "found out on a thread of its own");
  EXPECT_TRUE(c["findings"].empty()) << c["findings"];
}

TEST(NoCheck, ACaseThatCheckedNothingIsAnErrorNotAPass) {
  const json c = run_one("selftest.makes_no_check");
  EXPECT_EQ(c["outcome"], "error");
  EXPECT_NE(c["reason"].get<std::string>().find("made no check"), std::string::npos) << c["reason"];
  EXPECT_EQ(run_one("selftest.passes")["outcome"], "passed");
}

TEST(AtExit, AStepRunsAfterMainWithItsCallsAndObservationsAndTheEndWaitsForIt) {
  const json c = run_one("selftest.observes_at_exit");
  EXPECT_EQ(c["outcome"], "passed") << c["reason"] << " (the body made no check: only the step's count)";
  EXPECT_EQ(c["observations"]["cuFakeCallAtExit"], "CUDA_SUCCESS");
  // Exit runs handlers newest first: the step comes before what was registered earlier.
  EXPECT_EQ(c["observations"]["a handler registered before the step had run"], false);
  EXPECT_EQ(c["observations"]["a handler registered after the step had run"], true);
  bool traced = false;
  for (const auto& e : c["trace"]) traced = traced || e.value("fn", "") == "cuFakeCallAtExit";
  EXPECT_TRUE(traced) << "the step's call is in the trace";
}

TEST(AtExit, AFindingAtExitFailsTheCaseAndACrashThereIsACrashInItsCall) {
  const json failed = run_one("selftest.finds_at_exit");
  EXPECT_EQ(failed["outcome"], "failed");
  ASSERT_EQ(failed["findings"].size(), 1u) << failed["findings"];
  EXPECT_EQ(failed["findings"][0]["message"], "the answer at exit");
  const json crashed = run_one("selftest.segfaults_at_exit");
  EXPECT_EQ(crashed["outcome"], "crash");
  EXPECT_NE(crashed["reason"].get<std::string>().find("during cuCrashingCallAtExit"), std::string::npos) << crashed["reason"];
}

TEST(Peer, ItsObservationsCallsAndEndComeBackToTheCase) {
  const json c = run_one("selftest.runs_a_peer");
  EXPECT_EQ(c["outcome"], "passed") << c.dump(2);
  const json& seen = c["observations"];
  EXPECT_EQ(seen["peer echo: input"], "ab") << seen;
  EXPECT_EQ(seen["peer echo: ended"], "exited 0") << seen;
  EXPECT_EQ(seen["peer crashes: ended"], "killed by signal 11 (SIGSEGV) during cuPeerCrashingCall") << seen;
  EXPECT_EQ(seen["peer hangs: ended"], "hung: killed at its deadline during cuPeerHangingCall") << seen;
  bool relayed = false;
  for (const auto& e : c["trace"])
    if (e.value("fn", "") == "cuPeerCall") relayed = e.value("by", "") == "peer" && e.value("peer", "") == "echo" && e.contains("res");
  EXPECT_TRUE(relayed) << "the peer's call is in the case's trace, marked as the peer's, with its result: " << c["trace"];
}

TEST(Peer, AnInputTooLargeToReachThePeerFailsTheCase) {
  const json c = run_one("selftest.peer_input_too_large_for_the_environment");
  EXPECT_EQ(c["outcome"], "failed") << c.dump(2);
  ASSERT_EQ(c["findings"].size(), 1u) << c["findings"];
  EXPECT_EQ(c["findings"][0]["kind"], "exception");
  EXPECT_NE(c["findings"][0]["message"].get<std::string>().find("does not fit one environment string"), std::string::npos)
      << c["findings"];
}

TEST(Peer, AFindingOfThePeerIsAFindingOfTheCase) {
  const json c = run_one("selftest.peer_finding_fails_the_case");
  EXPECT_EQ(c["outcome"], "failed") << c.dump(2);
  ASSERT_EQ(c["findings"].size(), 1u) << c["findings"];
  EXPECT_EQ(c["findings"][0]["kind"], "mismatch");
  EXPECT_EQ(c["findings"][0]["message"], "peer finds: the peer's answer") << c["findings"];
}

TEST(Reproducer, CarriesTheHarnesssCaseLayerVerbatim) {
  TempDir tmp;
  const Ran r = run({kSelftest, "repro", "selftest.records_mismatch", "--out", tmp.file("r")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto exported = ctxshare::split_case_layer(file_text(tmp.file("r/ctxshare_case_layer.h")));
  std::set<std::string> expected;
  for (const auto& folder : ctxshare::kCaseLayerFolders)
    for (const auto& entry : std::filesystem::directory_iterator(kSource + "/" + folder))
      expected.insert(folder + entry.path().filename().string());
  std::set<std::string> got;
  for (const auto& [path, text] : exported) {
    got.insert(path);
    EXPECT_EQ(text, ctxshare::without_project_includes(file_text(kSource + "/" + path))) << path << " differs from the harness";
  }
  EXPECT_EQ(got, expected);
}

TEST(Reproducer, HoldsItsOneCaseAndNeedsNoJsonLibrary) {
  TempDir tmp;
  ASSERT_EQ(run({kSelftest, "repro", "selftest.records_mismatch", "--out", tmp.file("r")}).exit_code, 0);
  const std::string cu = file_text(tmp.file("r/repro.cu"));
  EXPECT_NE(cu.find("CTXSHARE_CASE(selftest, records_mismatch,"), std::string::npos);
  EXPECT_EQ(cu.find("CTXSHARE_CASE(selftest, segfaults,"), std::string::npos);
  EXPECT_NE(cu.find("CTXSHARE_AXIS(Sleeper"), std::string::npos) << "the family's helpers stay";
  EXPECT_NE(cu.find("reproduce(\"selftest.records_mismatch\")"), std::string::npos);
  for (const char* name : {"repro.cu", "ctxshare_case_layer.h", "build.sh", "CMakeLists.txt"})
    EXPECT_EQ(file_text(tmp.file(std::string("r/") + name)).find("#include <nlohmann"), std::string::npos) << name;
}

TEST(Reproducer, CaseBlocksAreFoundPastBracesInStringsAndComments) {
  const std::string text =
      "// helper\nint helper() { return 1; }\n\n// the first\nCTXSHARE_CASE(f, first, {.source = \"a } ( brace\"}) {\n"
      "  // a } in a comment\n  const char* s = \"}\";\n}\n\nCTXSHARE_CASE(f, second, {}) {\n  h.expect(true, k, \"x\");\n}\n";
  const auto blocks = ctxshare::case_blocks(text);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].name, "first");
  EXPECT_EQ(blocks[1].name, "second");
  const std::string second = ctxshare::only_case(text, "second");
  EXPECT_NE(second.find("int helper()"), std::string::npos);
  EXPECT_EQ(second.find("the first"), std::string::npos);
  EXPECT_EQ(second.find("CTXSHARE_CASE(f, first"), std::string::npos);
  EXPECT_NE(second.find("CTXSHARE_CASE(f, second"), std::string::npos);
}
