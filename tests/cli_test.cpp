// What a CI job and a first-time user meet on the command line, with no GPU: where result files go,
// a GPU job on a machine without one, a cancelled run, labels, versions, and the messages of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "process.h"
#include "tests/paths.h"

using nlohmann::json;

namespace {

const std::string kSelftest = CTXSHARE_SELFTEST_EXE;
const std::string kSuite = CTXSHARE_EXE;
const std::map<std::string, std::string> kNoDriver = {{"CTXSHARE_LIBCUDA", "/nonexistent/libcuda.so.1"}};

void expect_one_line_error(const Ran& r, const std::string& words) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("passed "), std::string::npos) << "cases ran: " << r.out;
}

// Waits until the run has printed `words` (a case's line), at most 20 s.
bool wait_for_output(const Started& s, const std::string& words) {
  for (int i = 0; i < 2000; ++i) {
    if (output_so_far(s).find(words) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST(OutputPaths, DashIsStandardOutputHoldingTheDocumentAlone) {
  const Ran r = run({kSelftest, "run", "selftest.passes", "--json", "-"}, kNoDriver);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  EXPECT_EQ(doc["summary"]["passed"], 1);
  EXPECT_NE(r.err.find("selftest.passes"), std::string::npos) << "the progress goes to standard error: " << r.err;
}

TEST(OutputPaths, ASymbolicLinkIsWrittenThroughAndStaysALink) {
  TempDir tmp;
  std::filesystem::create_symlink("target.json", tmp.file("link.json"));
  EXPECT_EQ(run({kSelftest, "run", "selftest.passes", "--json", tmp.file("link.json")}, kNoDriver).exit_code, 0);
  EXPECT_TRUE(std::filesystem::is_symlink(tmp.file("link.json")));
  EXPECT_EQ(json::parse(read_file(tmp.file("target.json")))["summary"]["passed"], 1);
}

TEST(OutputPaths, AFifoIsWrittenInPlace) {
  TempDir tmp;
  const std::string fifo = tmp.file("results.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  std::string got;
  std::thread reader([&] { got = read_file(fifo); });
  const Ran r = run({kSelftest, "run", "selftest.passes", "--junit", fifo}, kNoDriver);
  reader.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  EXPECT_NE(got.find("<testsuite"), std::string::npos) << got;
}

TEST(OutputPaths, DevNullTakesEveryOutput) {
  EXPECT_EQ(run({kSelftest, "run", "selftest.passes", "--json", "/dev/null", "--junit", "/dev/null"}, kNoDriver).exit_code, 0);
}

TEST(OutputPaths, EmptyAndSharedPathsAreRefusedBeforeAnyCase) {
  TempDir tmp;
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--json", ""}), "an output path is empty");
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--json", tmp.file("r"), "--junit", tmp.path + "/./r"}),
                        "given for two outputs");
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--json", "-", "--junit", "-"}), "given for two outputs");
}

TEST(OutputPaths, ADirectoryThatCannotBeWrittenStopsTheRunBeforeAnyCase) {
  TempDir tmp;
  // /proc refuses new files even to root, for whom a permission check would pass.
  expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--json", "/proc/r.json"}), "cannot write in /proc");
  std::filesystem::create_directory(tmp.file("ro"));
  std::filesystem::permissions(tmp.file("ro"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (geteuid() != 0)
    expect_one_line_error(run({kSelftest, "run", "selftest.passes", "--junit", tmp.file("ro/r.xml")}), "cannot write in");
}

TEST(OutputPaths, MatrixMakesItsOutputDirectoryAndFindsTheClaimsReferenceFromAnywhere) {
  TempDir tmp;
  const std::string results = std::string(CTXSHARE_SOURCE_DIR) + "/docs/results/h100-580.159.04-cuda13.0.88.json";
  Started s = start({"/bin/sh", "-c", "cd / && exec \"$0\" matrix \"$1\" --out \"$2\"", kSuite, results, tmp.file("new/dir")});
  const Ran r = wait_for(s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(tmp.file("new/dir/claims.md")));
}

TEST(RequireGpu, AGpuJobWithoutAGpuFailsWithTheReason) {
  const Ran flag = run({kSelftest, "run", "selftest.passes", "selftest.needs_a_gpu", "--require-gpu"}, kNoDriver);
  EXPECT_EQ(flag.exit_code, 1) << flag.out << flag.err;
  EXPECT_NE(flag.err.find("a GPU is required"), std::string::npos) << flag.err;
  EXPECT_NE(flag.err.find("libcuda"), std::string::npos) << "the reason names what is missing: " << flag.err;
  std::map<std::string, std::string> env = kNoDriver;
  env["CTXSHARE_REQUIRE_GPU"] = "1";
  EXPECT_EQ(run({kSelftest, "run", "selftest.needs_a_gpu"}, env).exit_code, 1);
  // Without the switch the same run is green: every case skipped with its reason.
  EXPECT_EQ(run({kSelftest, "run", "selftest.needs_a_gpu"}, kNoDriver).exit_code, 0);
}

// A CI cancel: the running cases' processes end, the results so far are written and say so.
void interrupt_a_run(int sig) {
  TempDir tmp;
  std::map<std::string, std::string> env = kNoDriver;
  const std::string tag = "CTXSHARE_TEST_TAG=" + std::to_string(getpid()) + "-" + std::to_string(sig);
  env["CTXSHARE_TEST_TAG"] = tag.substr(tag.find('=') + 1);
  Started s = start({kSelftest, "run", "-j", "2", "--timeout", "120", "selftest.passes", "selftest.hangs", "selftest.sleeps_alone",
                     "--json", tmp.file("r.json"), "--junit", tmp.file("r.xml")},
                    env);
  ASSERT_TRUE(wait_for_output(s, "passed   selftest.passes")) << output_so_far(s);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(process_running_with({"__case", "selftest.hangs"}, tag));
  kill(s.pid, sig);
  const Ran r = wait_for(s);
  EXPECT_EQ(r.exit_code, 128 + sig) << r.out << r.err;
  EXPECT_LT(r.seconds, 30);
  EXPECT_FALSE(process_running_with({"__case", "selftest.hangs"}, tag)) << "the hanging case's process was orphaned";
  const json doc = json::parse(read_file(tmp.file("r.json")));
  EXPECT_EQ(doc["interrupted"]["signal"], sig == SIGINT ? "SIGINT" : "SIGTERM");
  EXPECT_EQ(doc["interrupted"]["cases_not_run"], 1);
  ASSERT_EQ(doc["cases"].size(), 2u);
  for (const auto& c : doc["cases"]) {
    if (c["id"] == "selftest.passes") {
      EXPECT_EQ(c["outcome"], "passed");
    }
    if (c["id"] == "selftest.hangs") {
      EXPECT_EQ(c["outcome"], "interrupted");
      EXPECT_NE(c["reason"].get<std::string>().find("during cuHangingCall"), std::string::npos) << c["reason"];
    }
  }
  EXPECT_NE(read_file(tmp.file("r.xml")).find("interrupted"), std::string::npos);
  EXPECT_NE(r.out.find("interrupted by"), std::string::npos) << r.out;
}
TEST(Interruption, CtrlCEndsTheRunningCasesAndWritesWhatRan) { interrupt_a_run(SIGINT); }
TEST(Interruption, SigtermEndsTheRunningCasesAndWritesWhatRan) { interrupt_a_run(SIGTERM); }

TEST(Labels, TheDerivedLabelsSelectAsListShowsThem) {
  const Ran gpu = run({kSelftest, "run", "--label", "gpu", "selftest.needs_a_gpu"}, kNoDriver);
  EXPECT_EQ(gpu.exit_code, 0) << gpu.err;
  const Ran exclusive = run({kSelftest, "list", "--label", "exclusive"});
  EXPECT_EQ(exclusive.exit_code, 0) << exclusive.err;
  EXPECT_NE(exclusive.out.find("selftest.sleeps_alone"), std::string::npos) << exclusive.out;
  EXPECT_EQ(exclusive.out.find("selftest.passes"), std::string::npos) << exclusive.out;
}

TEST(Messages, BadTimeoutsAreSaidPlainly) {
  for (const std::string bad : {"-1", "0", "abc", "inf"}) {
    const Ran r = run({kSelftest, "run", "selftest.passes", "--timeout", bad});
    expect_one_line_error(r, "is not a number of seconds");
    EXPECT_EQ(r.err.find("1797693"), std::string::npos) << r.err;
  }
}

TEST(Messages, VersionNamesTheBuild) {
  const Ran r = run({kSuite, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("ctxshare ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("cuda"), std::string::npos) << r.out;
}

TEST(Messages, ANoGpuRunSaysItsSkipReasonOnce) {
  const Ran r = run({kSuite, "run", "runtime_first"}, kNoDriver);
  EXPECT_EQ(r.exit_code, 0);
  size_t said = 0;
  for (size_t at = r.out.find("no driver"); at != std::string::npos; at = r.out.find("no driver", at + 1)) ++said;
  EXPECT_EQ(said, 2u) << "once under the first case, once in the summary:\n" << r.out;
}

// README.md's numbers and commands are the suite's: a count gone stale or a CI command that drifted
// from .ci/run fails here rather than misleading a first-time reader.
TEST(Readme, CountsTheCasesAndFamiliesTheSuiteHas) {
  const std::string readme = read_file(std::string(CTXSHARE_SOURCE_DIR) + "/README.md");
  const json list = json::parse(run({kSuite, "list", "--json"}).out);
  std::set<std::string> families;
  for (const auto& c : list) families.insert(c["family"].get<std::string>());
  const std::string words = std::to_string(list.size()) + " cases in " + std::to_string(families.size()) + " families";
  EXPECT_NE(readme.find(words), std::string::npos) << "README.md should say \"" << words << "\"";
}

TEST(Readme, ItsTestCommandIsTheOneCiRuns) {
  const std::string readme = read_file(std::string(CTXSHARE_SOURCE_DIR) + "/README.md");
  const std::string ci = read_file(std::string(CTXSHARE_SOURCE_DIR) + "/.ci/run");
  const std::string last_line = ci.substr(ci.rfind('\n', ci.size() - 2) + 1);
  ASSERT_FALSE(last_line.empty());
  EXPECT_NE(readme.find("    " + last_line), std::string::npos) << ".ci/run's command is not README.md's:\n" << last_line;
}

// A case that needs one device sees one, the least busy; one that needs two sees two; the GPUs are
// the caller's CUDA_VISIBLE_DEVICES (here a pretend pair: the cases skip without a driver, and the
// result says what each was shown).
TEST(GpuScheduling, OneDeviceCasesAreSpreadOverTheGpusOneVisibleEach) {
  TempDir tmp;
  std::map<std::string, std::string> env = kNoDriver;
  env["CUDA_VISIBLE_DEVICES"] = "3,5";
  const Ran r = run({kSelftest, "run", "-j", "4", "selftest.needs_one_gpu_each", "selftest.needs_two_gpus", "selftest.passes",
                     "--json", tmp.file("r.json")},
                    env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, int> shown;
  const json doc = json::parse(read_file(tmp.file("r.json")));
  for (const auto& c : doc["cases"]) {
    const std::string id = c["id"];
    const std::string visible = c.value("visible_devices", "");
    if (id == "selftest.needs_two_gpus") {
      EXPECT_EQ(visible, "3,5");
    } else if (id == "selftest.passes") {
      EXPECT_EQ(visible, "") << "a case that needs no GPU is shown none in particular";
    } else {
      ++shown[visible];
    }
  }
  EXPECT_EQ(shown.size(), 2u) << "both GPUs were used";
  EXPECT_EQ(shown["3"] + shown["5"], 4);
}

// A case run alone (a ctest test) sees what it is given: ctest's resource spec spreads those.
TEST(GpuScheduling, ACaseAloneIsShownWhatItIsGiven) {
  TempDir tmp;
  std::map<std::string, std::string> env = kNoDriver;
  env["CUDA_VISIBLE_DEVICES"] = "3,5";
  run({kSelftest, "run", "selftest.needs_one_gpu_each.a", "--json", tmp.file("alone.json")}, env);
  EXPECT_FALSE(json::parse(read_file(tmp.file("alone.json")))["cases"][0].contains("visible_devices"));
}

TEST(GpuScheduling, JobsDefaultToTheCoresWithoutAGpu) {
  TempDir tmp;
  std::map<std::string, std::string> env = kNoDriver;
  env["CUDA_VISIBLE_DEVICES"] = "-1";  // no GPU visible, also on a machine with GPUs (where NVML would count them)
  run({kSelftest, "run", "selftest.passes", "selftest.records_mismatch", "--json", tmp.file("r.json")}, env);
  EXPECT_EQ(json::parse(read_file(tmp.file("r.json")))["jobs"], static_cast<int>(std::thread::hardware_concurrency()));
}

// A committed bench is printed and charted again without a GPU; a file that is none is one line, exit 2.
TEST(Bench, FromACommittedRunPrintsAndCharts) {
  TempDir tmp;
  const Ran r = run({kSuite, "bench", "--from", CTXSHARE_SOURCE_DIR "/docs/performance/h100-580.159.04-bench-suite-402-cases.json", "--svg-dir",
                     tmp.path},
                    kNoDriver);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("the whole suite at -j 8: 1.223x the time of as many bare processes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the whole suite at -j 1: 1.127x the time of its own 425 processes run bare"), std::string::npos) << r.out;
  EXPECT_NE(read_file(tmp.file("bench-suite.svg")).find("<svg"), std::string::npos);
  // -j in numeric order, in the text and the chart (the JSON keeps "-j 16" before "-j 1:").
  for (const std::string& text : {r.out, read_file(tmp.file("bench-suite.svg"))}) {
    const auto at = [&](const char* j) { return text.find(std::string(j) + ": as many bare processes"); };
    EXPECT_LT(at("-j 1"), at("-j 4"));
    EXPECT_LT(at("-j 4"), at("-j 8"));
    EXPECT_LT(at("-j 8"), at("-j 16"));
    EXPECT_NE(at("-j 16"), std::string::npos);
  }
  const Ran bad = run({kSuite, "bench", "--from", CTXSHARE_SOURCE_DIR "/README.md"}, kNoDriver);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST(Bench, TheSuiteFigureWithoutAGpuSaysWhy) {
  const Ran r = run({kSuite, "bench", "--suite", "--suite-jobs", "1,4"}, kNoDriver);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs a GPU: no driver"), std::string::npos) << r.err;
}
