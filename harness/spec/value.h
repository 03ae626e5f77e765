// Evidence and event fields: a small JSON-shaped value. The case layer is exported verbatim into every
// reproducer, which must build with nothing but the CUDA toolkit, so it cannot use a JSON library; the
// suite's child writes these values as JSON lines, a reproducer prints them, and the runner parses
// the lines with nlohmann-json.
//
//   Value evidence = {{"expected", describe(expected)}, {"observed", 7}};  // an object
//   Value list = {1, 2, 3};                                                 // an array
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ctxshare {

struct ValueMember;  // {first: key, second: value}, defined below: Value is incomplete until then

class Value {
 public:
  using Array = std::vector<Value>;
  using Object = std::vector<ValueMember>;

  // Every constructor that touches the storage is defined in value.cpp, where ValueMember is
  // complete: nvcc's front end instantiates the storage's destructor wherever one is inline.
  Value();
  Value(std::nullptr_t);
  Value(bool b);
  template <std::signed_integral T>
  Value(T i) : Value(static_cast<long long>(i), Tag{}) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  Value(T u) : Value(static_cast<unsigned long long>(u), Tag{}) {}
  template <std::floating_point T>
  Value(T d) : Value(static_cast<double>(d), Tag{}) {}
  Value(const char* s);
  Value(std::string s);
  Value(std::string_view s);
  // An object when every item is a [string, value] pair, as nlohmann-json reads the same braces;
  // otherwise an array.
  Value(std::initializer_list<Value> items);
  template <class T>
  Value(const std::vector<T>& items) : Value(Array(items.begin(), items.end()), Tag{}) {}
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  ~Value();

  static Value array();
  static Value object();

  bool is_null() const;
  bool is_string() const;
  // The string itself for a string, JSON text for anything else.
  std::string text() const;
  // Compact JSON; bytes that are not UTF-8 become U+FFFD.
  std::string json() const;
  // The value of JSON text such as json() writes (a peer process's events, case/peer.h); nullopt
  // when the text is not one JSON value.
  static std::optional<Value> parse(std::string_view text);

  void push_back(Value item);                // on an array
  void set(std::string key, Value item);     // on an object: adds or replaces
  const Object* as_object() const;

  bool operator==(const Value&) const;

 private:
  struct Tag {};
  Value(long long i, Tag);
  Value(unsigned long long u, Tag);
  Value(double d, Tag);
  Value(Array a, Tag);
  Value(Object o, Tag);
  void write(std::string& out) const;

  std::variant<std::monostate, bool, long long, unsigned long long, double, std::string, Array, Object> v_;
};

struct ValueMember {
  std::string first;
  Value second;
  bool operator==(const ValueMember& o) const { return first == o.first && second == o.second; }
};

}  // namespace ctxshare
