// Tests of what is made from results, with no GPU: expectations, diff, matrix.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "harness/reports/bench.h"
#include "harness/reports/matrix.h"
#include "harness/results/outcome.h"
#include "harness/run/expectations.h"
#include "process.h"
#include "tests/paths.h"

using nlohmann::json;

namespace {

const std::string kSelftest = CTXSHARE_SELFTEST_EXE;
const std::map<std::string, std::string> kNoDriver = {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"}};

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

json case_result(const std::string& id, const std::string& outcome, std::vector<std::string> finding_kinds = {}) {
  json c = {{"id", id}, {"outcome", outcome}, {"findings", json::array()},
            {"case", {{"family", id.substr(0, id.find('.'))}, {"claims", {"RT-PRIMARY"}}, {"verdict", "works"}}}};
  for (const auto& k : finding_kinds) c["findings"].push_back({{"kind", k}, {"message", k + " happened"}});
  if (outcome == "crash") c["reason"] = "SIGSEGV during cuStreamQuery (call 3, thread 0)";
  return c;
}

json observed(const std::string& id, const std::string& answer) {
  json c = case_result(id, "passed");
  c["observations"] = {{"query", answer}, {"ms", answer.size()}};
  return c;
}

json run_doc(const std::string& driver, std::vector<json> cases) {
  return {{"schema", "ctxshare-results"},
          {"schema_version", 1},
          {"started", "2026-01-01T00:00:00Z"},
          {"environment",
           {{"build", {{"variant", "cuda13.0.88"}}},
            {"cuda", {{"driver", {{"nvml_version", driver}, {"version", 13000}}}, {"devices", {{{"name", "Test GPU"}}}}}}}},
          {"summary", {{"passed", 1}}},
          {"cases", cases}};
}

}  // namespace

// docs/results.md prints the outcome policy: it must be the code's table.
TEST(OutcomePolicy, TheDocumentedTableIsTheCodesTable) {
  const std::string doc = read_file(std::string(CTXSHARE_SOURCE_DIR) + "/docs/results.md");
  const char* junit[] = {"none", "failure", "error", "skipped"};
  const char* diff[] = {"passes", "tolerated", "fails"};
  for (const auto& p : ctxshare::policies()) {
    const std::string row = std::string("| `") + p.name + "` | " + (p.acceptable ? "yes" : "no") + " | " +
                            junit[static_cast<int>(p.junit)] + " | " + p.matrix_kind + " | " + diff[static_cast<int>(p.diff)] + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/results.md lacks the row " << row;
  }
}

// The suite figure's second floor: the processes the run started, each shown the GPUs its case saw.
TEST(BenchSuite, TheSameProcessesAreTheCasesAndTheirPeersShownTheirGpus) {
  ctxshare::CaseResult one_gpu, both, with_peers, never_started;
  one_gpu.id = "a.one_gpu";
  one_gpu.visible_devices = "1";
  both.id = "a.needs_two";  // the scheduler chose no GPU for it: it saw them all
  with_peers.id = "a.with_peers";
  with_peers.visible_devices = "0";
  with_peers.observations = {{"peer importer: ended", "exit 0"}, {"peer second: ended", "exit 0"}, {"peer importer: value", 1}};
  const auto visible = ctxshare::processes_started({one_gpu, both, with_peers, never_started}, {"0", "1"});
  EXPECT_EQ(visible, (std::vector<std::string>{"1", "0,1", "0", "0", "0"}));
}

TEST(Versions, CompareNumericallyByComponent) {
  EXPECT_EQ(ctxshare::compare_versions("580.95.05", "580.159.04"), -1);
  EXPECT_EQ(ctxshare::compare_versions("13000", "12090"), 1);
  EXPECT_EQ(ctxshare::compare_versions("580.159", "580.159.0"), 0);
  EXPECT_FALSE(ctxshare::compare_versions("580.x", "580").has_value());
}

TEST(Expectations, KnownFailureIsXfailAndAKnownFailureThatPassesIsAnImprovementThatFailsTheGate) {
  TempDir tmp;
  const std::string file = write(tmp, "known.txt",
                                 "# known outcomes\n"
                                 "selftest.records_mismatch failed -- https://example.invalid/bug#1\n"
                                 "selftest.passes failed -- was broken, maybe fixed\n");
  const Ran r = run({kSelftest, "run", "selftest.records_mismatch", "selftest.passes", "--expectations", file, "--json",
                     tmp.file("r.json")},
                    kNoDriver);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const json results = json::parse(read_file(tmp.file("r.json")));
  EXPECT_EQ(results["cases"][1]["id"], "selftest.records_mismatch");
  EXPECT_EQ(results["cases"][1]["outcome"], "xfail");
  EXPECT_EQ(results["cases"][1]["expected"]["reason"], "https://example.invalid/bug#1");
  EXPECT_EQ(results["cases"][1]["expected"]["entry"], file + ":2");
  EXPECT_EQ(results["cases"][0]["outcome"], "xpass");
  EXPECT_NE(r.out.find("improvement: passed in every attempt where the baseline expects failed (was broken, maybe fixed)"),
            std::string::npos) << r.out;
}

// An entry allows a set of outcomes and pins what each may show: a new finding in a known failure,
// or a crash in another call, is not hidden.
TEST(Expectations, SetsAndPinsAllowOnlyWhatWasSeen) {
  TempDir tmp;
  auto outcome_with = [&](const std::string& id, const std::string& entry) {
    const std::string file = write(tmp, "baseline.txt", id + " " + entry + " -- seen before\n");
    run({kSelftest, "run", id, "--expectations", file, "--json", tmp.file("r.json")}, kNoDriver);
    return json::parse(read_file(tmp.file("r.json")))["cases"][0]["outcome"].get<std::string>();
  };
  EXPECT_EQ(outcome_with("selftest.records_mismatch", "failed[mismatch]"), "xfail");
  EXPECT_EQ(outcome_with("selftest.records_mismatch", "crash|failed[wrong_context,sticky_error]"), "failed");
  EXPECT_EQ(outcome_with("selftest.segfaults", "failed|crash[@cuCrashingCall]"), "xfail");
  EXPECT_EQ(outcome_with("selftest.segfaults", "crash[@cuStreamQuery]"), "crash");
  EXPECT_EQ(outcome_with("selftest.passes", "passed|crash"), "passed");
}

TEST(Expectations, NewFailuresStillFailAndConditionsNarrowEntries) {
  TempDir tmp;
  // Entries for a driver and a GPU that no machine has (NVML may report the driver even when
  // libcuda is hidden, so the range is one no driver reaches).
  const std::string file = write(tmp, "known.txt", "selftest.records_mismatch failed driver=9999- -- only on 9999\n"
                                                   "selftest.segfaults crash gpu=*NoSuchGPU* -- only there\n");
  const Ran r = run({kSelftest, "run", "selftest.records_mismatch", "selftest.segfaults", "--expectations", file}, kNoDriver);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("failed   selftest.records_mismatch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("crash    selftest.segfaults"), std::string::npos) << r.out;
}

// ctest runs `ctxshare run ID`: the baseline a run uses without --expectations is named by
// CTXSHARE_BASELINE (or found by driver branch), so ctest and ctxshare run judge alike.
TEST(Expectations, TheBaselineNamedByTheEnvironmentAppliesWithoutAFlag) {
  TempDir tmp;
  const std::string file = write(tmp, "fleet.txt", "selftest.records_mismatch failed[mismatch] -- known\n"
                                                   "gpu_only.case_of_another_build failed -- not in this binary\n");
  std::map<std::string, std::string> env = kNoDriver;
  env["CTXSHARE_BASELINE"] = file;
  const Ran r = run({kSelftest, "run", "selftest.records_mismatch", "--json", tmp.file("r.json")}, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("baseline " + file + " (CTXSHARE_BASELINE)"), std::string::npos) << r.out;
  EXPECT_EQ(json::parse(read_file(tmp.file("r.json")))["cases"][0]["outcome"], "xfail");
  env.erase("CTXSHARE_BASELINE");  // then the driver branch's bundled file, which knows no self-test
  const Ran none = run({kSelftest, "run", "selftest.records_mismatch"}, env);
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("ctxshare: baseline "), std::string::npos) << none.out;
}

// A run's results feed back as the next baseline: the draft allows what was seen, and a run judged
// against it is green.
TEST(Baseline, DraftedFromARunItMakesTheSameRunGreen) {
  TempDir tmp;
  const std::vector<std::string> ids = {"selftest.records_mismatch", "selftest.passes", "selftest.segfaults"};
  std::vector<std::string> argv = {kSelftest, "run", "--json", tmp.file("r.json")};
  argv.insert(argv.end(), ids.begin(), ids.end());
  EXPECT_EQ(run(argv, kNoDriver).exit_code, 1);
  const Ran drafted = run({kSelftest, "baseline", tmp.file("r.json"), "--out", tmp.file("baseline.txt")});
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  const std::string text = read_file(tmp.file("baseline.txt"));
  // (on a machine with a driver, NVML names its branch: the entries then carry driver=BRANCH-)
  EXPECT_NE(text.find("selftest.records_mismatch failed[mismatch]"), std::string::npos) << text;
  EXPECT_NE(text.find("-- seen: 3x failed[mismatch]"), std::string::npos) << text;
  EXPECT_NE(text.find("selftest.segfaults crash[@cuCrashingCall]"), std::string::npos) << text;
  EXPECT_EQ(text.find("selftest.passes"), std::string::npos) << text;
  argv = {kSelftest, "run", "--expectations", tmp.file("baseline.txt")};
  argv.insert(argv.end(), ids.begin(), ids.end());
  const Ran judged = run(argv, kNoDriver);
  EXPECT_EQ(judged.exit_code, 0) << judged.out;
  EXPECT_EQ(run({kSelftest, "baseline", tmp.file("missing.json")}).exit_code, 2);
}

// An interrupted run's last cases ended because the run did, not because of the driver.
TEST(Baseline, ACaseTheInterruptionEndedIsNoEntry) {
  TempDir tmp;
  const std::string file = write(tmp, "r.json",
                                 run_doc("580.159.04", {case_result("fam.cut_short", "interrupted"),
                                                        case_result("fam.found", "failed", {"mismatch"})})
                                     .dump());
  const Ran drafted = run({kSelftest, "baseline", file});
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  EXPECT_EQ(drafted.out.find("fam.cut_short"), std::string::npos) << drafted.out;
  EXPECT_NE(drafted.out.find("fam.found failed[mismatch]"), std::string::npos) << drafted.out;
}

TEST(Expectations, BadFilesAreRejectedWithFileAndLine) {
  TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"selftest.nothing failed -- x\n", ":1: no case matches 'selftest.nothing'"},
      {"# c\nselftest.passes failed driver=abc -- x\n", ":2: malformed driver range 'abc'"},
      {"selftest.passes failed driver=590-580 -- x\n", ":1: malformed driver range '590-580'"},
      {"selftest.passes failed -- x\nselftest.passes failed -- y\n", ":2: duplicates the entry at"},
      {"selftest.passes failed\n", ":1: an entry needs a reason"},
      {"selftest.passes sometimes -- x\n", ":1: 'sometimes' is not an outcome"},
      {"selftest.passes passed -- x\n", ":1: 'passed' allows nothing but passed"},
      {"selftest.passes failed[nonsense] -- x\n", ":1: 'nonsense' is neither a finding kind nor @call"},
      {"selftest.passes xfail -- x\n", ":1: 'xfail' is not an outcome"},
      {"selftest.passes failed colour=red -- x\n", ":1: unknown condition 'colour'"},
  };
  for (const auto& [text, words] : bad) {
    const std::string file = write(tmp, "bad.txt", text);
    const Ran r = run({kSelftest, "run", "selftest.passes", "--expectations", file});
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.err.find(file + words), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(run({kSelftest, "run", "selftest.passes", "--expectations", tmp.file("missing.txt")}).exit_code, 2);
}

TEST(Diff, NamesRegressionsFixesChangesAndCasesAddedOrRemoved) {
  TempDir tmp;
  const std::string old_run = write(tmp, "old.json",
                                    run_doc("580.95.05", {case_result("a.crashes_now", "passed"), case_result("a.fixed", "failed", {"mismatch"}),
                                                          case_result("a.removed", "passed"),
                                                          case_result("a.other_finding", "failed", {"mismatch"}),
                                                          case_result("a.now_skipped", "passed"),
                                                          observed("a.observes", "CUDA_ERROR_INVALID_HANDLE")})
                                        .dump());
  const std::string new_run = write(tmp, "new.json",
                                    run_doc("580.159.04", {case_result("a.crashes_now", "crash"), case_result("a.fixed", "passed"),
                                                           case_result("a.added", "passed"),
                                                           case_result("a.other_finding", "failed", {"wrong_error"}),
                                                           case_result("a.now_skipped", "skipped"),
                                                           observed("a.observes", "CUDA_ERROR_INVALID_CONTEXT")})
                                        .dump());
  const Ran r = run({kSelftest, "diff", old_run, new_run});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("driver     580.95.05"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("580.159.04"), std::string::npos);
  EXPECT_NE(r.out.find("regressions (1)\n  a.crashes_now: passed -> crash (SIGSEGV during cuStreamQuery"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fixed (1)\n  a.fixed: failed -> passed"), std::string::npos);
  EXPECT_NE(r.out.find("changed (1)\n  a.now_skipped: passed -> skipped"), std::string::npos);
  EXPECT_NE(r.out.find("findings changed (1)\n  a.other_finding: failed, findings mismatch -> wrong_error"), std::string::npos);
  EXPECT_NE(r.out.find("added (1)\n  a.added: passed"), std::string::npos);
  EXPECT_NE(r.out.find("removed (1)\n  a.removed: was passed"), std::string::npos);
  EXPECT_NE(r.out.find("observations changed (1)\n  a.observes: query: CUDA_ERROR_INVALID_HANDLE -> CUDA_ERROR_INVALID_CONTEXT"),
            std::string::npos) << r.out;
  // No regression the other way round for the crash, and a run against itself is clean.
  EXPECT_EQ(run({kSelftest, "diff", new_run, new_run}).exit_code, 0);
}

TEST(Diff, BadOrForeignFilesGetAOneLineError) {
  TempDir tmp;
  const std::string good = write(tmp, "good.json", run_doc("1", {case_result("a.b", "passed")}).dump());
  for (const auto& [text, words] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "not JSON"},
           {R"({"results": []})", "not a ctxshare result file"},
           {R"({"schema": "ctxshare-results", "schema_version": 99, "cases": []})", "schema version 99 is newer"},
           {R"({"schema": "ctxshare-results", "schema_version": 1, "cases": [{"id": "x", "outcome": "great"}]})", "unknown outcome"}}) {
    const std::string bad = write(tmp, "bad.json", text);
    const Ran r = run({kSelftest, "diff", good, bad});
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Tally, CountsHowEachCaseEndedPerBuildAndShowsOnlyWhatDiffers) {
  TempDir tmp;
  json other_build = run_doc("580.159.04", {case_result("a.same", "passed"), observed("a.answer", "CUDA_ERROR_INVALID_HANDLE"),
                                            case_result("a.flaky", "crash")});
  other_build["environment"]["build"]["variant"] = "cuda12.9.79-clang19";
  const std::vector<std::string> files = {
      write(tmp, "1.json", run_doc("580.159.04", {case_result("a.same", "passed"), observed("a.answer", "CUDA_ERROR_CONTEXT_IS_DESTROYED"),
                                                  case_result("a.flaky", "passed")}).dump()),
      write(tmp, "2.json", run_doc("580.159.04", {case_result("a.same", "passed"), observed("a.answer", "CUDA_ERROR_CONTEXT_IS_DESTROYED"),
                                                  case_result("a.flaky", "crash")}).dump()),
      write(tmp, "3.json", other_build.dump())};
  std::vector<std::string> args = {kSelftest, "tally"};
  args.insert(args.end(), files.begin(), files.end());
  const Ran r = run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| case | Test GPU, driver 580.159.04, cuda13.0.88, 2 runs | Test GPU, driver 580.159.04, cuda12.9.79-clang19, 1 run |"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| `a.answer` | 2x passed (query: CUDA_ERROR_CONTEXT_IS_DESTROYED) | 1x passed (query: CUDA_ERROR_INVALID_HANDLE) |"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| `a.flaky` | 1x crash; 1x passed | 1x crash |"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("a.same"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 cases that did not end alike in every run, from 3 runs"), std::string::npos) << r.out;
  args.push_back("--all");
  EXPECT_NE(run(args).out.find("| `a.same` | 2x passed | 1x passed |"), std::string::npos);
  EXPECT_EQ(run({kSelftest, "tally", tmp.file("missing.json")}).exit_code, 2);
}

TEST(Matrix, WritesTheTableTheClaimsPageAndTheHtmlFromRuns) {
  TempDir tmp;
  const std::string one = write(tmp, "one.json", run_doc("580.95.05", {case_result("fam.case_a", "passed"), case_result("fam.case_b", "crash")}).dump());
  json hazard = case_result("fam.stale_use", "failed", {"handle_invalidated"});
  hazard["case"]["verdict"] = "hazard";
  const std::string two =
      write(tmp, "two.json", run_doc("580.159.04", {case_result("fam.case_a", "failed", {"wrong_context"}), hazard}).dump());
  const std::string claims = write(tmp, "claims.md", "- RT-PRIMARY: one context per device.\n- RT-OTHER: nobody cites this.\n");
  std::filesystem::create_directory(tmp.file("out"));
  const Ran r = run({kSelftest, "matrix", one, two, "--out", tmp.file("out"), "--claims", claims});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Columns are configurations, named by GPU, driver and build, in that order whatever the files' order.
  const std::string md = read_file(tmp.file("out/patterns.md"));
  EXPECT_NE(md.find("| case | claims | declared | across configurations | Test GPU · 580.159.04 · cuda13.0.88 | "
                    "Test GPU · 580.95.05 · cuda13.0.88 |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| `fam.case_a` | RT-PRIMARY | works | differs by driver: works on 580.95.05; diverges elsewhere | "
                    "diverges: wrong_context | works |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| `fam.case_b` | RT-PRIMARY | works | crashes everywhere it ran; not yet in the suite of 1 run | not run | crash: SIGSEGV during cuStreamQuery |"),
            std::string::npos) << md;
  const std::string cm = read_file(tmp.file("out/claims.md"));
  EXPECT_NE(cm.find("| **the claim** | | **diverges everywhere** | **diverges in 1 of 1; hazard: 1 of 1 break** | "
                    "**diverges in 1 of 2** |"),
            std::string::npos) << cm;
  // A hazard case is listed apart and says what breaks, never that the documentation diverges.
  EXPECT_NE(cm.find("| `fam.stale_use` | hazard | breaks everywhere it ran; not yet in the suite of 1 run | breaks: handle_invalidated | not run |"), std::string::npos) << cm;
  EXPECT_NE(cm.find("## RT-OTHER"), std::string::npos);
  EXPECT_NE(cm.find("**No strong conformance case:** nothing here shows that this claim holds."), std::string::npos) << cm;
  EXPECT_EQ(cm.find("| **the claim** | | **supported"), std::string::npos) << cm;
  const std::string page = read_file(tmp.file("out/matrix.html"));
  EXPECT_NE(page.find("<th title=\"two.json\">Test GPU<br>580.159.04<br>cuda13.0.88</th>"), std::string::npos) << page;
  // A cell links to its evidence: findings and the crash's reason in a block below the table.
  EXPECT_NE(page.find("<td class=\"diverges\"><a href=\"#e0-0\">diverges: wrong_<wbr>context</a></td>"), std::string::npos) << page;
  EXPECT_NE(page.find("<div class=\"ev\" id=\"e0-0\"><h3><code>fam.case_a</code> on Test GPU · 580.159.04 · cuda13.0.88</h3>"),
            std::string::npos) << page;
  EXPECT_NE(page.find("wrong_context: wrong_context happened"), std::string::npos);
  EXPECT_NE(page.find("reason: SIGSEGV during cuStreamQuery (call 3, thread 0)"), std::string::npos);
  // A plain pass links to its result file.
  EXPECT_NE(page.find("<td class=\"works\"><a href=\"results/one.json\">works</a></td>"), std::string::npos) << page;
  // An output directory that is not there yet is made (docs/ci.md's example writes to a new one).
  EXPECT_EQ(run({kSelftest, "matrix", one, "--out", tmp.file("new/pages"), "--claims", claims}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(tmp.file("new/pages/matrix.html")));
  EXPECT_EQ(run({kSelftest, "matrix", one, "--out", "/proc/pages", "--claims", claims}).exit_code, 2);
}

// claims.md sorts a claim's cases by what they can show: strong, weak (and why), hazard, measurement.
TEST(Matrix, ClaimsPageShowsEvidenceByStrength) {
  TempDir tmp;
  json weak = case_result("fam.weakly", "passed");
  weak["case"]["claims"] = {"RT-WEAK"};
  weak["case"]["weak_evidence"] = "checks the context, not the data";
  json measured = case_result("fam.timed", "passed");
  measured["case"]["claims"] = {"RT-SPEED"};
  measured["case"]["kind"] = "measurement";
  measured["case"]["verdict"] = "measurement";
  const std::string one = write(tmp, "one.json", run_doc("580.159.04", {case_result("fam.strong", "passed"), weak, measured}).dump());
  const std::string claims = write(tmp, "claims.md", "- RT-PRIMARY: one.\n- RT-WEAK: two.\n- RT-SPEED: fast.\n");
  std::filesystem::create_directory(tmp.file("out"));
  ASSERT_EQ(run({kSelftest, "matrix", one, "--out", tmp.file("out"), "--claims", claims}).exit_code, 0);
  const std::string cm = read_file(tmp.file("out/claims.md"));
  EXPECT_NE(cm.find("Evidence: 1 strong conformance case, 0 weak ones, 0 hazard cases, 0 measurements.\n"), std::string::npos) << cm;
  EXPECT_NE(cm.find("| **the claim** | | **supported everywhere** | **supported** |"), std::string::npos) << cm;
  EXPECT_NE(cm.find("**No strong conformance case:** nothing here shows that this claim holds beyond the weak evidence below."),
            std::string::npos) << cm;
  EXPECT_NE(cm.find("| `fam.weakly` | weak: checks the context, not the data | works everywhere | works |"), std::string::npos) << cm;
  EXPECT_NE(cm.find("| **the claim** | | **weakly supported everywhere** | **supported by weak evidence only** |"), std::string::npos) << cm;
  // A statement about speed is measured, never judged: it is neither supported nor unchecked.
  EXPECT_NE(cm.find("**Measured, never judged:**"), std::string::npos) << cm;
  EXPECT_NE(cm.find("| `fam.timed` | measurement, never evidence | observed everywhere | observed, no crash |"), std::string::npos) << cm;
  EXPECT_NE(cm.find("| **the claim** | | **measured, not judged** | **measured, not judged** |"), std::string::npos) << cm;
}

// patterns.md closes a family that has real-world cases with what breaks and how to avoid it, worst
// first, each case with its reports and advice; a family without them gets no such section.
TEST(Matrix, RealWorldCasesSayWhatBreaksAndHowToAvoidIt) {
  TempDir tmp;
  auto real = [](json c, const std::string& avoid) {
    c["case"]["labels"] = {"real-world"};
    c["case"]["source"] = "cuda.h: cuStreamQuery; owner/repo#123";
    c["case"]["avoid"] = avoid;
    return c;
  };
  json crashes = real(case_result("fam.stale_stream", "crash"), "Destroy streams before the context.");
  crashes["case"]["kind"] = "hazard";
  json recorded = real(observed("fam.recorded", "CUDA_ERROR_INVALID_HANDLE"), "Check the result.");
  recorded["case"]["kind"] = "hazard";
  const std::string one = write(tmp, "one.json",
                                run_doc("580.159.04", {recorded, crashes, real(case_result("fam.fine", "passed"), "Nothing to avoid."),
                                                       case_result("other.plain", "passed")})
                                    .dump());
  const std::string claims = write(tmp, "claims.md", "- RT-PRIMARY: one.\n");
  ASSERT_EQ(run({kSelftest, "matrix", one, "--out", tmp.file("out"), "--claims", claims}).exit_code, 0);
  const std::string md = read_file(tmp.file("out/patterns.md"));
  const auto section = md.find("### What breaks and how to avoid it");
  ASSERT_NE(section, std::string::npos) << md;
  EXPECT_EQ(md.find("### What breaks", section + 1), std::string::npos) << "one family has real-world cases:\n" << md;
  const auto breaks = md.find("- `fam.stale_stream` (hazard): crashes everywhere.\n", section);
  const auto undocumented = md.find("- `fam.recorded` (hazard): observed everywhere.\n", section);
  const auto works = md.find("- `fam.fine`: works everywhere.\n", section);
  ASSERT_NE(breaks, std::string::npos) << md;
  ASSERT_NE(undocumented, std::string::npos) << md;
  ASSERT_NE(works, std::string::npos) << md;
  EXPECT_LT(breaks, undocumented);
  EXPECT_LT(undocumented, works);
  EXPECT_NE(md.find("  Reports: cuda.h: cuStreamQuery; owner/repo#123\n  Avoid: Destroy streams before the context.\n", breaks), std::string::npos) << md;
  const auto other = md.find("## other");
  ASSERT_NE(other, std::string::npos) << md;
  EXPECT_GT(other, section);
}

TEST(Matrix, MergesRepeatedRunsOfAConfigurationIntoOneColumnWithCounts) {
  TempDir tmp;
  json other_build = run_doc("580.159.04", {case_result("fam.steady", "failed", {"wrong_context"}), case_result("fam.shaky", "passed")});
  other_build["environment"]["build"]["variant"] = "cuda12.9.79-clang19";
  json two_gpus = run_doc("580.159.04", {case_result("fam.steady", "passed"), case_result("fam.shaky", "passed")});
  two_gpus["environment"]["cuda"]["devices"] = {{{"name", "NVIDIA H100 80GB HBM3"}}, {{"name", "NVIDIA H100 80GB HBM3"}}};
  const std::vector<std::string> files = {
      write(tmp, "1.json", run_doc("580.159.04", {case_result("fam.steady", "passed"), case_result("fam.shaky", "passed")}).dump()),
      write(tmp, "2.json", run_doc("580.159.04", {case_result("fam.steady", "passed"), case_result("fam.shaky", "crash")}).dump()),
      write(tmp, "3.json", run_doc("580.159.04", {case_result("fam.steady", "passed"), case_result("fam.shaky", "passed")}).dump()),
      write(tmp, "4.json", other_build.dump()), write(tmp, "5.json", two_gpus.dump())};
  const std::string claims = write(tmp, "claims.md", "- RT-PRIMARY: one context per device.\n");
  std::filesystem::create_directory(tmp.file("out"));
  std::vector<std::string> args = {kSelftest, "matrix"};
  args.insert(args.end(), files.begin(), files.end());
  for (const char* a : {"--out", "", "--claims", ""}) args.push_back(a);
  args[args.size() - 3] = tmp.file("out");
  args.back() = claims;
  const Ran r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = read_file(tmp.file("out/patterns.md"));
  // One GPU before two; the three runs of one configuration are one column.
  EXPECT_NE(md.find("| across configurations | Test GPU · 580.159.04 · cuda12.9.79-clang19 | Test GPU · 580.159.04 · cuda13.0.88 (3 runs) | "
                    "2×H100 · 580.159.04 · cuda13.0.88 |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| `fam.steady` | RT-PRIMARY | works | differs by build: diverges on cuda12.9.79-clang19; works elsewhere | "
                    "diverges: wrong_context | works 3/3 | works |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| `fam.shaky` | RT-PRIMARY | works | varies between runs on Test GPU · 580.159.04 · cuda13.0.88 | works | "
                    "works 2, crash: SIGSEGV during cuStreamQuery 1 | works |"),
            std::string::npos) << md;
  const std::string page = read_file(tmp.file("out/matrix.html"));
  EXPECT_NE(page.find("<td class=\"mixed\">"), std::string::npos);
  EXPECT_NE(page.find("<p><b>works</b> in 2 runs: <a href=\"results/1.json\">1.json</a> <a href=\"results/3.json\">3.json</a></p>"),
            std::string::npos) << page;
}

TEST(Matrix, SummaryNamesWhatTheConfigurationsDifferBy) {
  using ctxshare::Column;
  const std::vector<Column> columns = {{"H100", "580.159.04", "cuda13.0.88", "a", {}},
                                       {"H100", "580.159.04", "cuda13.0.88-ptds", "b", {}},
                                       {"2×H200", "580.159.04", "cuda13.0.88", "c", {}}};
  EXPECT_EQ(ctxshare::summarize(columns, {"works", "works", "works"}), "works everywhere");
  EXPECT_EQ(ctxshare::summarize(columns, {"diverges", "diverges", ""}), "diverges everywhere it ran; not yet in the suite of 1 run");
  EXPECT_EQ(ctxshare::summarize(columns, {"skipped", "works", "works"}), "works everywhere it ran; skipped on 1");
  EXPECT_EQ(ctxshare::summarize(columns, {"works", "diverges", "works"}), "differs by build: diverges on cuda13.0.88-ptds; works elsewhere");
  EXPECT_EQ(ctxshare::summarize(columns, {"crashes", "crashes", "observed"}), "differs by machine: observed on 2×H200; crashes elsewhere");
  EXPECT_EQ(ctxshare::summarize(columns, {"works", "varies", "works"}), "varies between runs on b");
  EXPECT_EQ(ctxshare::summarize(columns, {"skipped", "skipped", ""}), "skipped everywhere");
  // Runs of an older suite that declared the case otherwise explain a difference too.
  EXPECT_EQ(ctxshare::summarize(columns, {"observed", "works", "works"}, {"hazard", "works", "works"}),
            "differs by case version: observed on runs declaring it hazard; works elsewhere");
}
