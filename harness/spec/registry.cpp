#include "harness/spec/spec.h"

#include <algorithm>

namespace ctxshare {
namespace {

std::vector<CaseDef>& registry() {
  static std::vector<CaseDef> all;
  return all;
}

// Every combination of the axes' values, the first axis outermost.
std::vector<std::vector<AxisValue>> combinations(const std::vector<Axis>& axes) {
  std::vector<std::vector<AxisValue>> out = {{}};
  for (const Axis& axis : axes) {
    std::vector<std::vector<AxisValue>> longer;
    for (const auto& prefix : out)
      for (int i = 0; i < static_cast<int>(axis.values.size()); ++i) {
        longer.push_back(prefix);
        longer.back().push_back({axis.name, axis.values[i], i, axis.key});
      }
    out = std::move(longer);
  }
  return out;
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::works: return "works";
    case Verdict::fails: return "fails";
    case Verdict::hazard: return "hazard";
    case Verdict::measurement: return "measurement";
  }
  return "?";
}

const char* kind_of(Verdict v) {
  switch (v) {
    case Verdict::works:
    case Verdict::fails: return "conformance";
    case Verdict::hazard: return "hazard";
    case Verdict::measurement: return "measurement";
  }
  return "?";
}

std::vector<std::string> split_enumerators(std::string_view list) {
  std::vector<std::string> names;
  std::string name;
  for (char c : list) {
    if (c == ',') {
      names.push_back(name);
      name.clear();
    } else if (c != ' ' && c != '\n' && c != '\t') {
      name.push_back(c);
    }
  }
  if (!name.empty()) names.push_back(name);
  return names;
}

Registrar::Registrar(const char* family, const char* name, CaseSpec spec, CaseBody body, const char* file,
                     int line) {
  const std::string base = std::string(family) + "." + name;
  for (auto& params : combinations(spec.axes)) {
    std::string variant;
    for (const auto& p : params) variant += (variant.empty() ? "" : ".") + p.value;
    CaseDef def{variant.empty() ? base : base + "." + variant, family, name, variant, std::move(params), spec, body, file, line};
    registry().push_back(std::move(def));
  }
}

const std::vector<CaseDef>& cases() {
  static bool sorted = false;
  if (!sorted) {
    std::sort(registry().begin(), registry().end(), [](const CaseDef& a, const CaseDef& b) { return a.id < b.id; });
    sorted = true;
  }
  return registry();
}

const CaseDef* find_case(std::string_view id) {
  for (const auto& c : cases())
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace ctxshare
