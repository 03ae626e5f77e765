// The closed set of outcomes and one table of what each means to every consumer: the exit code, JUnit,
// the console, the matrix and diff (docs/results.md prints the table). xfail is an outcome the
// baseline allows; xpass only ever means an improvement over the baseline; flaky a new flake;
// interrupted a case the run's own interruption (Ctrl-C, a CI cancel) ended.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace ctxshare {

enum class Outcome { passed, failed, skipped, xfail, xpass, timeout, crash, error, flaky, interrupted };

enum class JunitElement { none, failure, error, skipped };

// How diff sees an outcome: a change from `fails` to `passes` is a fix, from anything else to `fails`
// a regression.
enum class DiffClass { passes, tolerated, fails };

struct OutcomePolicy {
  Outcome outcome;
  const char* name;          // in result files and on the console
  bool acceptable;           // lets a run exit 0
  JunitElement junit;
  bool console_reason;       // the console prints the reason under the line
  bool console_findings;     // ... and the findings
  bool console_last_calls;   // ... and the last calls traced
  bool always_in_summary;    // the run summary counts it even at 0
  const char* matrix_kind;   // the cell's class (a pass is refined by the declared verdict)
  DiffClass diff;
};

// One row per outcome, in the enum's order.
std::span<const OutcomePolicy> policies();
const OutcomePolicy& policy(Outcome o);

const char* to_string(Outcome o);
std::optional<Outcome> outcome_from_string(std::string_view s);
bool acceptable(Outcome o);

}  // namespace ctxshare
