#include "harness/results/outcome.h"

#include <iterator>

namespace ctxshare {
namespace {

using J = JunitElement;
using D = DiffClass;

// A gate goes red on every change from the baseline: a new failure, an improvement (a conformance case
// that passes where the baseline expects it to fail: clear the entry) and a new flake alike.
constexpr OutcomePolicy kPolicies[] = {
    // outcome          name       accept  junit         reason findings calls  summary matrix kind       diff
    {Outcome::passed,  "passed",  true,   J::none,      false, false,   false, true,   "works",         D::passes},
    {Outcome::failed,  "failed",  false,  J::failure,   false, true,    false, true,   "diverges",      D::fails},
    {Outcome::skipped, "skipped", true,   J::skipped,   true,  false,   false, true,   "skipped",       D::tolerated},
    {Outcome::xfail,   "xfail",   true,   J::skipped,   false, false,   false, false,  "known",         D::tolerated},
    {Outcome::xpass,   "xpass",   false,  J::failure,   true,  false,   false, false,  "works",         D::passes},
    {Outcome::timeout, "timeout", false,  J::error,     false, true,    true,  false,  "hang",          D::fails},
    {Outcome::crash,   "crash",   false,  J::error,     false, true,    true,  false,  "crash",         D::fails},
    {Outcome::error,   "error",   false,  J::error,     false, true,    true,  false,  "error",         D::fails},
    {Outcome::flaky,   "flaky",   false,  J::failure,   true,  true,    false, false,  "flaky",         D::fails},
    {Outcome::interrupted, "interrupted", false, J::error, true, false, false, false,  "error",         D::tolerated},
};

constexpr bool in_enum_order() {
  for (int i = 0; i < static_cast<int>(std::size(kPolicies)); ++i)
    if (static_cast<int>(kPolicies[i].outcome) != i) return false;
  return std::size(kPolicies) == static_cast<size_t>(Outcome::interrupted) + 1;
}
static_assert(in_enum_order(), "one row per outcome, in the enum's order");

}  // namespace

std::span<const OutcomePolicy> policies() { return kPolicies; }
const OutcomePolicy& policy(Outcome o) { return kPolicies[static_cast<int>(o)]; }

const char* to_string(Outcome o) { return policy(o).name; }

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (const auto& p : policies())
    if (s == p.name) return p.outcome;
  return std::nullopt;
}

bool acceptable(Outcome o) { return policy(o).acceptable; }

}  // namespace ctxshare
