// Tests of the harness itself, with no GPU: isolation, crash and hang capture, classification, bad
// input, result files, scheduling. They drive the real executables as a user would, through the
// misbehaving cases of ctxshare_selftest.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness/results/junit.h"
#include "process.h"
#include "tests/paths.h"

using nlohmann::json;

namespace {

const std::string kSelftest = CTXSHARE_SELFTEST_EXE;
const std::string kSuite = CTXSHARE_EXE;
// Makes "no driver" the state of any machine, GPU or not.
const std::map<std::string, std::string> kNoDriver = {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"}};

struct SelftestRun {
  Ran ran;
  json results;
};

SelftestRun run_selftest(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
  TempDir tmp;
  std::vector<std::string> argv = {kSelftest, "run", "--json", tmp.file("r.json")};
  argv.insert(argv.end(), args.begin(), args.end());
  env.merge(std::map<std::string, std::string>(kNoDriver));
  SelftestRun r{run(argv, env), nullptr};
  const std::string text = read_file(tmp.file("r.json"));
  if (!text.empty()) r.results = json::parse(text);
  return r;
}

const json& result_of(const json& results, const std::string& id) {
  for (const auto& c : results["cases"])
    if (c["id"] == id) return c;
  static const json none;
  ADD_FAILURE() << "no result for " << id;
  return none;
}

const json* last_call(const json& c) {
  const json* last = nullptr;
  for (const auto& e : c["trace"])
    if (e.contains("fn")) last = &e;
  return last;
}

bool has_finding(const json& c, const std::string& kind) {
  return std::any_of(c["findings"].begin(), c["findings"].end(), [&](const json& f) { return f["kind"] == kind; });
}

// "" when python3's XML parser reads the file, else what it said; a note when there is no python3.
std::string xml_parse_error(const std::string& path) {
  for (const char* python : {"/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"})
    if (std::filesystem::exists(python)) {
      const Ran r = run({python, "-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", path});
      return r.exit_code == 0 ? "" : r.err;
    }
  return "";  // no python3 to parse with: the other checks still stand
}

// A bad-input error: exit 2, one line on stderr, nothing run.
void expect_one_line_error(const Ran& r, const std::string& words) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("passed"), std::string::npos) << "cases ran: " << r.out;
}

}  // namespace

TEST(Classification, PassingCaseIsPassed) {
  const SelftestRun r = run_selftest({"selftest.passes"});
  EXPECT_EQ(r.ran.exit_code, 0) << r.ran.out;
  const json& c = result_of(r.results, "selftest.passes");
  EXPECT_EQ(c["outcome"], "passed");
  ASSERT_NE(last_call(c), nullptr);
  EXPECT_EQ((*last_call(c))["fn"], "cuFakeCall");
  EXPECT_EQ((*last_call(c))["err"], "CUDA_SUCCESS");
}

TEST(Classification, MismatchIsAFindingAndTheCaseGoesOn) {
  const SelftestRun r = run_selftest({"selftest.records_mismatch"});
  EXPECT_EQ(r.ran.exit_code, 1);
  const json& c = result_of(r.results, "selftest.records_mismatch");
  EXPECT_EQ(c["outcome"], "failed");
  ASSERT_EQ(c["findings"].size(), 1u);
  EXPECT_EQ(c["findings"][0]["kind"], "mismatch");
  EXPECT_EQ(c["findings"][0]["evidence"]["expected"], 42);
  EXPECT_EQ(c["findings"][0]["evidence"]["observed"], 41);
  EXPECT_EQ(c["observations"]["went_on_after_the_mismatch"], true);
}

TEST(Classification, SegfaultIsACrashWithTheTraceUpToTheLastCall) {
  const SelftestRun r = run_selftest({"selftest.segfaults"});
  EXPECT_EQ(r.ran.exit_code, 1);
  const json& c = result_of(r.results, "selftest.segfaults");
  EXPECT_EQ(c["outcome"], "crash");
  EXPECT_EQ(c["signal"], 11);
  EXPECT_NE(c["reason"].get<std::string>().find("SIGSEGV during cuCrashingCall"), std::string::npos) << c["reason"];
  const json* last = last_call(c);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ((*last)["fn"], "cuCrashingCall");
  EXPECT_FALSE(last->contains("res")) << "the crashing call never returned";
  EXPECT_TRUE(has_finding(c, "crash"));
  EXPECT_NE(r.ran.out.find("cuCrashingCall [thread 0] -> (did not return)"), std::string::npos) << r.ran.out;
}

TEST(Classification, HangIsKilledAtItsTimeoutAndTheRunGoesOn) {
  const SelftestRun r = run_selftest({"selftest.hangs", "selftest.passes"});
  EXPECT_EQ(r.ran.exit_code, 1);
  const json& hang = result_of(r.results, "selftest.hangs");
  EXPECT_EQ(hang["outcome"], "timeout");
  EXPECT_NE(hang["reason"].get<std::string>().find("during cuHangingCall"), std::string::npos) << hang["reason"];
  EXPECT_GE(hang["duration_s"].get<double>(), 2.0);
  EXPECT_LT(hang["duration_s"].get<double>(), 10.0);
  EXPECT_EQ(result_of(r.results, "selftest.passes")["outcome"], "passed");
}

TEST(Classification, CommandLineTimeoutOverridesTheCasesOwn) {
  const SelftestRun r = run_selftest({"selftest.hangs", "--timeout", "0.5"});
  const json& hang = result_of(r.results, "selftest.hangs");
  EXPECT_EQ(hang["outcome"], "timeout");
  EXPECT_LT(hang["duration_s"].get<double>(), 1.9);
}

TEST(Classification, AbortIsACrash) {
  const SelftestRun r = run_selftest({"selftest.aborts"});
  const json& c = result_of(r.results, "selftest.aborts");
  EXPECT_EQ(c["outcome"], "crash");
  EXPECT_EQ(c["signal"], 6);
  EXPECT_NE(c["reason"].get<std::string>().find("SIGABRT after cuFakeCall returned"), std::string::npos) << c["reason"];
}

TEST(Classification, EarlyExitIsAFailureNamedAsSuch) {
  const SelftestRun r = run_selftest({"selftest.exits_early"});
  const json& c = result_of(r.results, "selftest.exits_early");
  EXPECT_EQ(c["outcome"], "failed");
  EXPECT_EQ(c["exit_code"], 3);
  EXPECT_TRUE(has_finding(c, "early_exit"));
}

TEST(Classification, FloodOfOutputAndCallsKeepsTheTailAndPasses) {
  const SelftestRun r = run_selftest({"selftest.floods_output"});
  const json& c = result_of(r.results, "selftest.floods_output");
  EXPECT_EQ(c["outcome"], "passed");
  EXPECT_GE(c["output_bytes"].get<long long>(), 20LL * 1024 * 1024);
  const std::string tail = c["output_tail"];
  EXPECT_LE(tail.size(), 16u * 1024);
  EXPECT_NE(tail.find("the last line of the flood"), std::string::npos);
  EXPECT_GT(c["trace_dropped"].get<long long>(), 40000);
  EXPECT_LE(c["trace"].size(), 2300u);
}

TEST(Classification, ExceptionIsAFinding) {
  const SelftestRun r = run_selftest({"selftest.throws"});
  const json& c = result_of(r.results, "selftest.throws");
  EXPECT_EQ(c["outcome"], "failed");
  EXPECT_TRUE(has_finding(c, "exception"));
}

TEST(Classification, FailedCallIsNamedAndStopsTheCase) {
  const SelftestRun r = run_selftest({"selftest.failed_call_stops_the_case"});
  const json& c = result_of(r.results, "selftest.failed_call_stops_the_case");
  EXPECT_EQ(c["outcome"], "failed");
  ASSERT_EQ(c["findings"].size(), 1u);
  EXPECT_EQ(c["findings"][0]["kind"], "unexpected_error");
  EXPECT_EQ(c["findings"][0]["evidence"]["observed"], "CUDA_ERROR_INVALID_CONTEXT");
  EXPECT_FALSE(c["observations"].contains("unreachable"));
}

TEST(Classification, DocumentedErrorsAreChecked) {
  const SelftestRun r = run_selftest({"selftest.documented_error_that_succeeds"});
  const json& c = result_of(r.results, "selftest.documented_error_that_succeeds");
  EXPECT_EQ(c["outcome"], "failed");
  EXPECT_TRUE(has_finding(c, "unexpected_success"));
  EXPECT_TRUE(has_finding(c, "wrong_error"));
}

TEST(NoDriver, GpuCasesAreSkippedWithTheReason) {
  const SelftestRun r = run_selftest({"selftest.needs_a_gpu", "selftest.needs_two_gpus"});
  EXPECT_EQ(r.ran.exit_code, 0) << r.ran.out;
  for (const char* id : {"selftest.needs_a_gpu", "selftest.needs_two_gpus"}) {
    const json& c = result_of(r.results, id);
    EXPECT_EQ(c["outcome"], "skipped");
    EXPECT_NE(c["reason"].get<std::string>().find("no driver: /nonexistent/libcuda.so.1"), std::string::npos) << c["reason"];
    EXPECT_FALSE(c["observations"].contains("ran_without_a_driver"));
  }
  EXPECT_EQ(r.results["environment"]["cuda"]["driver"]["initialized"], false);
}

TEST(Needs, CaseNeedingANewerToolkitIsSkippedWithTheReason) {
  const SelftestRun r = run_selftest({"selftest.needs_a_newer_toolkit"});
  EXPECT_EQ(r.ran.exit_code, 0) << r.ran.out;
  const json& c = result_of(r.results, "selftest.needs_a_newer_toolkit");
  EXPECT_EQ(c["outcome"], "skipped");
  EXPECT_EQ(c["reason"], "needs a build with the CUDA 99.0 toolkit or newer, this one has " +
                             std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10));
}

TEST(NoDriver, TheWholeSuiteIsSkippedAndTheRunPasses) {
  TempDir tmp;
  const Ran r = run({kSuite, "run", "--json", tmp.file("r.json")}, kNoDriver);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json results = json::parse(read_file(tmp.file("r.json")));
  EXPECT_GE(results["cases"].size(), 6u);
  for (const auto& c : results["cases"]) {
    EXPECT_EQ(c["outcome"], "skipped") << c["id"];
    EXPECT_NE(c["reason"].get<std::string>().find("no driver"), std::string::npos) << c["id"];
  }
}

TEST(NoDriver, SkipExitCodeTellsCtestEveryCaseWasSkipped) {
  EXPECT_EQ(run({kSelftest, "run", "selftest.needs_a_gpu", "--skip-exit-code", "77"}, kNoDriver).exit_code, 77);
  EXPECT_EQ(run({kSelftest, "run", "selftest.passes", "--skip-exit-code", "77"}, kNoDriver).exit_code, 0);
}

TEST(Listing, EveryConformanceCaseNamesItsClaimsAndNoSelftestIsListed) {
  const Ran r = run({kSuite, "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json cases = json::parse(r.out);
  EXPECT_GE(cases.size(), 6u);
  for (const auto& c : cases) {
    EXPECT_FALSE(c["claims"].empty()) << c["id"];
    EXPECT_FALSE(c["source"].get<std::string>().empty()) << c["id"];
    EXPECT_EQ(c["id"].get<std::string>().rfind(c["family"].get<std::string>() + ".", 0), 0u) << c["id"];
    EXPECT_NE(c["family"], "selftest");
  }
}

TEST(Listing, EveryReferenceClaimIsCitedAndEveryCitedClaimExists) {
  std::set<std::string> reference, cited;
  std::ifstream in(std::string(CTXSHARE_SOURCE_DIR) + "/docs/claims-reference.md");
  const std::regex claim_line("^- ([A-Z][A-Z0-9-]+):");
  for (std::string line; std::getline(in, line);)
    if (std::smatch m; std::regex_search(line, m, claim_line)) reference.insert(m[1]);
  ASSERT_GE(reference.size(), 30u);
  for (const auto& c : json::parse(run({kSuite, "list", "--json"}).out))
    for (const auto& id : c["claims"]) cited.insert(id.get<std::string>());
  for (const auto& id : reference) EXPECT_TRUE(cited.count(id)) << id << " is cited by no case";
  for (const auto& id : cited) EXPECT_TRUE(reference.count(id)) << id << " is not in docs/claims-reference.md";
}

TEST(Listing, VariantsAreCasesOfTheirOwn) {
  const json cases = json::parse(run({kSelftest, "list", "--json", "selftest.sleeps"}).out);
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0]["id"], "selftest.sleeps.a");
  EXPECT_EQ(cases[0]["variant"], "a");
}

// The plain list is a table: a header, then per case its verdict, needs, labels and claims, within
// 160 columns however long the ids and claims.
TEST(Listing, PlainListHasAHeaderNeedsAndLabelsWithin160Columns) {
  const Ran self = run({kSelftest, "list"});
  ASSERT_EQ(self.exit_code, 0) << self.err;
  EXPECT_EQ(self.out.rfind("ID ", 0), 0u) << self.out;
  const std::string header = self.out.substr(0, self.out.find('\n'));
  EXPECT_TRUE(std::regex_search(header, std::regex("^ID +VERDICT +NEEDS +LABELS +CLAIMS$"))) << header;
  const auto row_of = [](const std::string& out, const std::string& id) {
    const size_t at = out.find(id + " ");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  EXPECT_NE(row_of(self.out, "selftest.needs_two_gpus").find("2 GPUs"), std::string::npos) << self.out;
  EXPECT_NE(row_of(self.out, "selftest.needs_a_newer_toolkit").find("toolkit>=99.0"), std::string::npos) << self.out;
  EXPECT_NE(row_of(self.out, "selftest.sleeps_alone").find("exclusive"), std::string::npos) << self.out;
  const Ran suite = run({kSuite, "list"});
  ASSERT_EQ(suite.exit_code, 0) << suite.err;
  EXPECT_NE(suite.out.find("1 GPU, cublas"), std::string::npos);
  EXPECT_NE(suite.out.find("driver>=12."), std::string::npos);
  std::istringstream lines(suite.out);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 160u) << line;
  for (const auto& c : json::parse(run({kSuite, "list", "--json"}).out))
    EXPECT_NE(suite.out.find(c["id"].get<std::string>()), std::string::npos) << c["id"] << " is not shown whole";
}

TEST(BadInput, UnknownCase) { expect_one_line_error(run({kSelftest, "run", "selftest.nope"}), "unknown case 'selftest.nope'"); }
TEST(BadInput, GlobMatchingNothing) { expect_one_line_error(run({kSelftest, "run", "nothing.*"}), "no case matches 'nothing.*'"); }
TEST(BadInput, MalformedGlob) { expect_one_line_error(run({kSelftest, "run", "selftest.[ab"}), "malformed pattern"); }
TEST(BadInput, UnknownLabel) { expect_one_line_error(run({kSelftest, "run", "--label", "nope"}), "no case has the label 'nope'"); }
TEST(BadInput, UnknownFlag) { expect_one_line_error(run({kSelftest, "run", "--bogus"}), "--bogus"); }
TEST(BadInput, BadNumber) { expect_one_line_error(run({kSelftest, "run", "--jobs", "0"}), "jobs"); }
TEST(BadInput, BenchWithoutADriverSaysSo) {
  const Ran r = run({kSuite, "bench", "--runs", "3"}, kNoDriver);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ctxshare: bench: needs a GPU: no driver: /nonexistent/libcuda.so.1"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(BadInput, NoCommand) { EXPECT_EQ(run({kSelftest}).exit_code, 2); }

TEST(BadInput, UnwritableResultFileStopsTheRunBeforeAnyCase) {
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--json", "/nonexistent/dir/r.json"}), "/nonexistent/dir");
  TempDir tmp;
  std::filesystem::create_directory(tmp.file("d"));
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--junit", tmp.file("d")}), "is a directory");
}

TEST(ResultFiles, AreWrittenWholeOrNotAtAll) {
  TempDir tmp;
  const std::string path = tmp.file("r.json");
  std::ofstream(path) << "previous results\n";
  // Bad input leaves the previous file as it was.
  EXPECT_EQ(run({kSelftest, "run", "selftest.nope", "--json", path}).exit_code, 2);
  EXPECT_EQ(read_file(path), "previous results\n");
  // A run replaces it whole, through a temporary file that does not stay behind.
  EXPECT_EQ(run({kSelftest, "run", "selftest.passes", "--json", path, "--junit", tmp.file("r.xml")}, kNoDriver).exit_code, 0);
  const json results = json::parse(read_file(path));
  EXPECT_EQ(results["schema"], "ctxshare-results");
  EXPECT_EQ(results["schema_version"], 1);
  EXPECT_EQ(results["summary"]["passed"], 1);
  EXPECT_TRUE(results["environment"].contains("build"));
  EXPECT_EQ(results["cases"][0]["case"]["claims"][0], "SELFTEST");
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(ResultFiles, JUnitNamesFailuresErrorsAndSkips) {
  TempDir tmp;
  run({kSelftest, "run", "selftest.passes", "selftest.records_mismatch", "selftest.segfaults", "selftest.needs_a_gpu",
       "--junit", tmp.file("r.xml")},
      kNoDriver);
  const std::string xml = read_file(tmp.file("r.xml"));
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<error type=\"crash\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"no driver"), std::string::npos);
  EXPECT_EQ(xml_parse_error(tmp.file("r.xml")), "");
}

// A CI test view shows what the console shows: the evidence of a failure, the last calls before a
// crash, the baseline entry behind an xfail, the observations, the case's claims.
TEST(ResultFiles, JUnitCarriesTheConsolesEvidence) {
  TempDir tmp;
  const std::string baseline = tmp.file("known.txt");
  std::ofstream(baseline) << "selftest.throws failed[exception] -- known: see bug 1\n";
  std::map<std::string, std::string> env = kNoDriver;
  env["CTXSHARE_BASELINE"] = baseline;
  const Ran r = run({kSelftest, "run", "selftest.records_mismatch", "selftest.segfaults", "selftest.throws", "--junit",
                     tmp.file("r.xml")},
                    env);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string xml = read_file(tmp.file("r.xml"));
  const auto testcase = [&](const std::string& id) {
    const size_t at = xml.find("name=\"" + id + "\"");
    return at == std::string::npos ? std::string() : xml.substr(at, xml.find("</testcase>", at) - at);
  };
  const std::string mismatch = testcase("selftest.records_mismatch"), crash = testcase("selftest.segfaults"),
                    known = testcase("selftest.throws");
  EXPECT_NE(mismatch.find("<failure type=\"failed\""), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("mismatch: "), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("&quot;expected&quot;:42"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("&quot;observed&quot;:41"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("<system-out>observations:\n  went_on_after_the_mismatch: true\n"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("<property name=\"claims\" value=\"SELFTEST\"/>"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("attempts: failed[mismatch], failed[mismatch], failed[mismatch]"), std::string::npos) << mismatch;
  EXPECT_NE(crash.find("<error type=\"crash\" message=\"SIGSEGV during cuCrashingCall"), std::string::npos) << crash;
  EXPECT_NE(crash.find("last calls:\n  #"), std::string::npos) << crash;
  EXPECT_NE(crash.find("cuCrashingCall [thread 0] -&gt; (did not return)\n"), std::string::npos) << crash;
  EXPECT_NE(crash.find("<property name=\"outcome\" value=\"crash\"/>"), std::string::npos) << crash;
  EXPECT_NE(known.find("<skipped message=\"known: failed[exception] (" + baseline + ":1)\">"), std::string::npos) << known;
  EXPECT_NE(known.find("baseline: known: see bug 1; allows failed[exception]"), std::string::npos) << known;
  EXPECT_NE(known.find("exception: "), std::string::npos) << known;
  EXPECT_EQ(xml_parse_error(tmp.file("r.xml")), "");
}

// Whatever bytes a crashing case printed, the document stays well-formed XML 1.0.
TEST(ResultFiles, JUnitStaysValidXmlWhateverTheOutputHeld) {
  ctxshare::CaseResult r;
  r.id = "selftest.<odd> & \"quoted\"";
  r.outcome = ctxshare::Outcome::crash;
  r.reason = "SIGSEGV\nduring \x01" "cuX";
  using namespace std::string_literals;  // the tail holds a NUL
  r.output_tail = "esc \x1b[31mred\x1b[0m, nul \0, bad \xff\xfe, cut \xe2\x82"s + " ]]> end\r\n";
  r.findings = json::array({{{"kind", "crash"}, {"message", "a <b> & c"}, {"evidence", {{"observed", "\x02"}}}}});
  r.observations = {{"bytes", "\x7f\xc3\xa9"}};
  TempDir tmp;
  std::ofstream(tmp.file("r.xml")) << ctxshare::junit_xml({r}, json::object());
  const std::string xml = read_file(tmp.file("r.xml"));
  EXPECT_EQ(xml_parse_error(tmp.file("r.xml")), "") << xml;
  for (char c : xml) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 && c != '\n') << static_cast<int>(c);
  EXPECT_NE(xml.find("SIGSEGV&#10;during ?cuX"), std::string::npos) << xml;
  EXPECT_NE(xml.find("\xc3\xa9"), std::string::npos) << "valid UTF-8 is kept";
}

TEST(Scheduling, ParallelRunsOverlapAndExclusiveCasesRunAlone) {
  const SelftestRun r = run_selftest({"selftest.sleeps*", "selftest.sleeps_alone", "-j", "4"});
  EXPECT_EQ(r.ran.exit_code, 0) << r.ran.out;
  const json& alone = result_of(r.results, "selftest.sleeps_alone");
  const double alone_start = alone["observations"]["start"], alone_end = alone["observations"]["end"];
  double first_start = 1e300, last_end = 0;
  for (const char* v : {"a", "b", "c", "d"}) {
    const json& c = result_of(r.results, std::string("selftest.sleeps.") + v);
    const double s = c["observations"]["start"], e = c["observations"]["end"];
    first_start = std::min(first_start, s);
    last_end = std::max(last_end, e);
    EXPECT_TRUE(e <= alone_start || s >= alone_end) << v << " overlapped the exclusive case";
  }
  // Four 0.8 s cases side by side take well under the 3.2 s they take one after another.
  EXPECT_LT(last_end - first_start, 2.6);
}

TEST(Scheduling, FailureThatPassesOnReRunIsANewFlakeNotAPass) {
  TempDir tmp;
  const SelftestRun r = run_selftest({"selftest.fails_once"}, {{"CTXSHARE_SELFTEST_DIR", tmp.path}});
  EXPECT_EQ(r.ran.exit_code, 1) << r.ran.out;
  const json& c = result_of(r.results, "selftest.fails_once");
  EXPECT_EQ(c["outcome"], "flaky");
  EXPECT_EQ(c["reruns"], json::array({"passed", "passed"}));
  EXPECT_NE(c["reason"].get<std::string>().find("failed[mismatch], passed, passed"), std::string::npos) << c["reason"];
  EXPECT_TRUE(has_finding(c, "mismatch")) << "the failing run's evidence is kept";
  TempDir again;
  EXPECT_EQ(run_selftest({"selftest.fails_once", "--flakes-pass"}, {{"CTXSHARE_SELFTEST_DIR", again.path}}).ran.exit_code, 0);
}

TEST(Scheduling, AFailureInEveryAttemptStaysAFailure) {
  const SelftestRun r = run_selftest({"selftest.records_mismatch"});
  EXPECT_EQ(r.ran.exit_code, 1);
  const json& c = result_of(r.results, "selftest.records_mismatch");
  EXPECT_EQ(c["outcome"], "failed");
  EXPECT_EQ(c["reruns"], json::array({"failed[mismatch]", "failed[mismatch]"}));
  const SelftestRun once = run_selftest({"selftest.records_mismatch", "--reruns", "0"});
  const json& c0 = result_of(once.results, "selftest.records_mismatch");
  EXPECT_TRUE(!c0.contains("reruns") || c0["reruns"].empty()) << c0;
}

TEST(Environment, CtestResourceGroupsBecomeTheCasesVisibleDevices) {
  const SelftestRun r = run_selftest({"selftest.reports_visible_devices"},
                                     {{"CTEST_RESOURCE_GROUP_COUNT", "2"}, {"CTEST_RESOURCE_GROUP_0", "gpus"},
                                      {"CTEST_RESOURCE_GROUP_0_GPUS", "id:3,slots:1"}, {"CTEST_RESOURCE_GROUP_1", "gpus"},
                                      {"CTEST_RESOURCE_GROUP_1_GPUS", "id:1,slots:1"}});
  EXPECT_EQ(result_of(r.results, "selftest.reports_visible_devices")["observations"]["CUDA_VISIBLE_DEVICES"], "3,1");
  const SelftestRun plain = run_selftest({"selftest.reports_visible_devices"}, {{"CUDA_VISIBLE_DEVICES", ""}});
  EXPECT_EQ(result_of(plain.results, "selftest.reports_visible_devices")["observations"]["CUDA_VISIBLE_DEVICES"], "unset");
}

TEST(Environment, ACaseStartsWithTheVariablesItDeclares) {
  const SelftestRun r = run_selftest({"selftest.sets_its_own_environment"}, {{"CUDA_MODULE_LOADING", "LAZY"}});
  EXPECT_EQ(result_of(r.results, "selftest.sets_its_own_environment")["observations"]["CUDA_MODULE_LOADING"], "EAGER");
}

TEST(Environment, SaysThereIsNoDriverAndKeepsSecretsOut) {
  const std::map<std::string, std::string> env = {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"},
                                                  {"MY_API_TOKEN", "hunter2-secret-value"},
                                                  {"CUDA_MODULE_LOADING", "LAZY"}};
  const Ran r = run({kSelftest, "env", "--json"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json e = json::parse(r.out);
  EXPECT_EQ(e["cuda"]["driver"]["initialized"], false);
  EXPECT_NE(e["cuda"]["driver"]["problem"].get<std::string>().find("no driver"), std::string::npos);
  EXPECT_EQ(e["variables"]["CUDA_MODULE_LOADING"], "LAZY");
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
  TempDir tmp;
  run({kSelftest, "run", "selftest.passes", "--json", tmp.file("r.json")}, env);
  EXPECT_EQ(read_file(tmp.file("r.json")).find("hunter2"), std::string::npos);
}

// Without --json, env is a report to read: versions as CUDA names them, and where there is no driver, why.
TEST(Environment, PlainReportIsReadableAndSaysWhyThereIsNoDriver) {
  const Ran r = run({kSelftest, "env"}, {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"}, {"CUDA_MODULE_LOADING", "LAZY"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.front(), '{') << r.out;
  EXPECT_EQ(r.out.find('{'), std::string::npos) << "no raw JSON: " << r.out;
  const std::string cuda = std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
  EXPECT_NE(r.out.find("driver:    none usable: no driver: /nonexistent/libcuda.so.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("runtime:   CUDA " + cuda + " ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("toolkit:   CUDA " + cuda + " ("), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(std::to_string(CUDART_VERSION)), std::string::npos) << "versions as 13.0, not 13000: " << r.out;
  EXPECT_NE(r.out.find("build variant "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GPUs:      none"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CUDA_MODULE_LOADING=LAZY"), std::string::npos) << r.out;
}
