// The matrix's columns: runs grouped by configuration (machine, driver, build variant), each case's
// runs of one configuration counted in one cell, and each row summed up across the configurations.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/reports/matrix.h"
#include "harness/reports/report_text.h"

namespace ctxshare {
namespace {

// "NVIDIA H100 80GB HBM3" -> "H100": the words before the memory size, without the vendor.
std::string short_gpu(std::string name) {
  for (const char* prefix : {"NVIDIA ", "GeForce ", "Tesla "})
    if (name.rfind(prefix, 0) == 0) name = name.substr(std::string(prefix).size());
  std::string out, word;
  for (std::istringstream words(name); words >> word;) {
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "GB") == 0 && std::isdigit(static_cast<unsigned char>(word[0]))) break;
    out += (out.empty() ? "" : " ") + word;
  }
  return out.empty() ? name : out;
}

// "H100", "2×H100", "H100+A100"; "no GPU" for a run that saw none.
std::string machine_of(const nlohmann::json& doc) {
  const nlohmann::json devices = doc.value("environment", nlohmann::json::object()).value("cuda", nlohmann::json::object())
                                     .value("devices", nlohmann::json::array());
  std::vector<std::string> names;
  for (const auto& d : devices) names.push_back(short_gpu(str(d, "name", "?")));
  if (names.empty()) return "no GPU";
  if (std::all_of(names.begin(), names.end(), [&](const std::string& n) { return n == names[0]; }))
    return names.size() == 1 ? names[0] : std::to_string(names.size()) + "×" + names[0];
  std::string joined;
  for (const auto& n : names) joined += (joined.empty() ? "" : "+") + n;
  return joined;
}

Column column_of(const nlohmann::json& doc) {
  const nlohmann::json env = doc.value("environment", nlohmann::json::object());
  Column c;
  c.machine = machine_of(doc);
  c.driver = at(env, "/cuda/driver/nvml_version");
  if (c.driver.empty()) c.driver = at(env, "/cuda/driver/version");
  if (c.driver.empty()) c.driver = "no driver";
  c.build = at(env, "/build/variant");
  if (c.build.empty()) c.build = "?";
  c.label = c.machine + " · " + c.driver + " · " + c.build;
  return c;
}

// Single GPUs before several, then by name, driver and build.
bool column_order(const Column& a, const Column& b) {
  const bool a_many = a.machine.find("×") != std::string::npos || a.machine.find('+') != std::string::npos;
  const bool b_many = b.machine.find("×") != std::string::npos || b.machine.find('+') != std::string::npos;
  return std::tie(a_many, a.machine, a.driver, a.build) < std::tie(b_many, b.machine, b.driver, b.build);
}

ColumnCell merge(const MatrixRow& row, const Column& col) {
  ColumnCell cell;
  std::map<std::string, size_t> index;  // words -> way
  for (size_t r : col.runs) {
    if (row.results[r] == nullptr) continue;
    Cell v = verdict_of(*row.results[r]);
    auto [it, fresh] = index.try_emplace(v.words, cell.ways.size());
    if (fresh) {
      cell.ways.emplace_back(std::move(v), 0);
      cell.runs_of_way.emplace_back();
    }
    ++cell.ways[it->second].second;
    cell.runs_of_way[it->second].push_back(r);
  }
  // Most frequent first; ties keep the order of the runs.
  std::vector<size_t> order(cell.ways.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cell.ways[a].second > cell.ways[b].second; });
  ColumnCell sorted;
  for (size_t i : order) {
    sorted.ways.push_back(cell.ways[i]);
    sorted.runs_of_way.push_back(cell.runs_of_way[i]);
  }
  int ran = 0;
  for (const auto& [v, n] : sorted.ways) ran += n;
  if (sorted.ways.empty()) {
    sorted.kind = "none";
    sorted.text = "not run";
  } else if (sorted.ways.size() == 1) {
    sorted.kind = sorted.ways[0].first.kind;
    sorted.pattern = sorted.ways[0].first.pattern;
    sorted.text = sorted.ways[0].first.words;
    if (col.runs.size() > 1) sorted.text += " " + std::to_string(ran) + "/" + std::to_string(ran);
  } else {
    sorted.kind = "mixed";
    sorted.pattern = "varies";
    for (const auto& [v, n] : sorted.ways) sorted.text += (sorted.text.empty() ? "" : ", ") + v.words + " " + std::to_string(n);
  }
  return sorted;
}

}  // namespace

std::string summarize(const std::vector<Column>& columns, const std::vector<std::string>& patterns,
                      const std::vector<std::string>& declared) {
  std::vector<size_t> ran;
  std::vector<std::string> varies;
  int skipped = 0, not_run = 0;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].empty()) {
      ++not_run;  // a run of a suite without this case
      continue;
    }
    if (patterns[i] == "skipped") ++skipped;
    else if (patterns[i] == "varies") varies.push_back(columns[i].label);
    else ran.push_back(i);
  }
  const std::string skips = skipped == 0 ? "" : "; skipped on " + std::to_string(skipped);
  if (!varies.empty()) {
    std::string labels;
    for (const auto& l : varies) labels += (labels.empty() ? "" : ", ") + l;
    return "varies between runs on " + labels + skips;
  }
  if (ran.empty()) return skipped > 0 ? "skipped everywhere" : "not run";
  // The patterns by how many columns show them, the first seen first on a tie.
  std::vector<std::string> seen;
  std::map<std::string, int> count;
  for (size_t i : ran)
    if (count[patterns[i]]++ == 0) seen.push_back(patterns[i]);
  if (seen.size() == 1)
    return seen[0] + (skipped == 0 && not_run == 0 ? " everywhere" : " everywhere it ran") + skips +
           (not_run == 0 ? "" : "; not yet in the suite of " + std::to_string(not_run) + (not_run == 1 ? " run" : " runs"));
  std::stable_sort(seen.begin(), seen.end(), [&](const auto& a, const auto& b) { return count[a] > count[b]; });
  // A dimension explains the difference when the columns alike in it are alike in pattern. Runs of an
  // older suite may have declared the case otherwise: that is a dimension too.
  std::vector<std::pair<std::string, std::vector<std::string>>> dimensions = {{"machine", {}}, {"driver", {}}, {"build", {}}};
  for (const auto& c : columns) {
    dimensions[0].second.push_back(c.machine);
    dimensions[1].second.push_back(c.driver);
    dimensions[2].second.push_back(c.build);
  }
  if (!declared.empty()) {
    dimensions.push_back({"case version", {}});
    for (const auto& d : declared) dimensions.back().second.push_back("runs declaring it " + d);
  }
  std::vector<const std::pair<std::string, std::vector<std::string>>*> explaining;
  for (const auto& d : dimensions) {
    std::map<std::string, std::string> pattern_at;
    bool function = true;
    for (size_t i : ran) {
      auto [it, fresh] = pattern_at.try_emplace(d.second[i], patterns[i]);
      function = function && (fresh || it->second == patterns[i]);
    }
    if (function && pattern_at.size() > 1) explaining.push_back(&d);
  }
  std::string text = "differs by ";
  for (size_t k = 0; k < explaining.size(); ++k) text += std::string(k == 0 ? "" : " or ") + explaining[k]->first;
  if (explaining.empty()) text += "configuration";
  text += ": ";
  for (size_t s = 1; s < seen.size(); ++s) {
    std::set<std::string> where_set;
    std::vector<std::string> where;
    for (size_t i : ran)
      if (patterns[i] == seen[s]) {
        const std::string w = explaining.empty() ? columns[i].label : explaining[0]->second[i];
        if (where_set.insert(w).second) where.push_back(w);
      }
    text += seen[s] + " on ";
    for (size_t k = 0; k < where.size(); ++k) text += (k == 0 ? "" : ", ") + where[k];
    text += "; ";
  }
  return text + seen[0] + " elsewhere" + skips;
}

Matrix build_matrix(const std::vector<ResultFile>& runs) {
  Matrix m;
  m.runs = &runs;
  for (size_t r = 0; r < runs.size(); ++r) {
    Column c = column_of(runs[r].doc);
    auto it = std::find_if(m.columns.begin(), m.columns.end(), [&](const Column& x) { return x.label == c.label; });
    if (it == m.columns.end()) it = m.columns.insert(m.columns.end(), std::move(c));
    it->runs.push_back(r);
  }
  std::stable_sort(m.columns.begin(), m.columns.end(), column_order);

  std::map<std::string, MatrixRow> rows;
  std::map<std::string, std::string> info_started;  // the declared facts come from the newest run
  for (size_t r = 0; r < runs.size(); ++r)
    for (const auto& c : runs[r].doc["cases"]) {
      auto& row = rows[c["id"]];
      const std::string started = str(runs[r].doc, "started");
      if (auto [it, fresh] = info_started.try_emplace(c["id"], started); fresh || it->second <= started) {
        it->second = started;
        row.info = c.value("case", nlohmann::json::object());
      }
      row.results.resize(runs.size(), nullptr);
      row.results[r] = &c;
    }
  for (auto& [id, row] : rows) {
    row.id = id;
    row.family = str(row.info, "family", id.substr(0, id.find('.')));
    std::vector<std::string> patterns, declared;
    for (const auto& col : m.columns) {
      row.cells.push_back(merge(row, col));
      patterns.push_back(row.cells.back().pattern);
      const auto& ways = row.cells.back().runs_of_way;
      const nlohmann::json* first = ways.empty() ? nullptr : row.results[ways[0][0]];
      declared.push_back(first == nullptr ? "" : str(first->value("case", nlohmann::json::object()), "verdict"));
    }
    row.summary = summarize(m.columns, patterns, declared);
    m.rows.push_back(std::move(row));
  }
  return m;
}

}  // namespace ctxshare
