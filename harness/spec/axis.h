// Variants as named axes (nvbench's add_string_axis, typed). A case with axes is registered once per
// combination of their values, as family.name.value1.value2; its body reads each axis through a typed
// accessor, never by decoding its id.
//
//   CTXSHARE_AXIS(Creator, cudaStreamCreate, cuStreamCreate);  // an enum, its names are the values
//   CTXSHARE_CASE(family, name, {..., .axes = {axis<Creator>()}}) {
//     if (h.param<Creator>() == Creator::cudaStreamCreate) ...
//   }
//
// A table whose rows carry a `name` is an axis too, so the variant list cannot drift from the code:
//
//   constexpr Allocator kAllocators[] = {{"cudaMalloc", ...}, {"cuMemAlloc", ...}};
//   CTXSHARE_CASE(family, name, {..., .axes = {table_axis<kAllocators>("allocator")}}) {
//     const Allocator& how = h.row<kAllocators>();
//   }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ctxshare {

struct Axis {
  std::string name;
  std::vector<std::string> values;
  const void* key = nullptr;  // identifies the enum or table the body reads it through
};

// One axis's value in one registered case.
struct AxisValue {
  std::string axis;
  std::string value;
  int index = 0;
  const void* key = nullptr;
};

// What CTXSHARE_AXIS records of an enum: its name and its enumerators as written.
struct AxisNames {
  const char* name;
  const char* enumerators;
};

// "a, b,c" -> {"a", "b", "c"}
std::vector<std::string> split_enumerators(std::string_view list);

template <class Enum>
inline constexpr char axis_key_of = 0;

template <class Enum>
Axis axis() {
  const AxisNames names = ctxshare_axis_names(Enum{});  // found by argument-dependent lookup
  return {names.name, split_enumerators(names.enumerators), &axis_key_of<Enum>};
}

template <const auto& Table>
Axis table_axis(const char* name) {
  Axis a{name, {}, &Table};
  for (const auto& row : Table) a.values.emplace_back(row.name);
  return a;
}

}  // namespace ctxshare

#define CTXSHARE_AXIS(Name, ...)                                                   \
  enum class Name { __VA_ARGS__ };                                                 \
  [[maybe_unused]] inline ::ctxshare::AxisNames ctxshare_axis_names(Name) { return {#Name, #__VA_ARGS__}; }
