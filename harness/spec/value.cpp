#include "harness/spec/value.h"

#include <cmath>
#include <cstdio>

namespace ctxshare {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

void write_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (const std::size_t n = utf8_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\xEF\xBF\xBD";
    }
  }
  out.push_back('"');
}

}  // namespace

Value::Value() = default;
Value::Value(std::nullptr_t) {}
Value::Value(bool b) : v_(b) {}
Value::Value(const char* s) : v_(std::string(s == nullptr ? "null" : s)) {}
Value::Value(std::string s) : v_(std::move(s)) {}
Value::Value(std::string_view s) : v_(std::string(s)) {}
Value::Value(long long i, Tag) : v_(i) {}
Value::Value(unsigned long long u, Tag) : v_(u) {}
Value::Value(double d, Tag) : v_(d) {}
Value::Value(Array a, Tag) : v_(std::move(a)) {}
Value::Value(Object o, Tag) : v_(std::move(o)) {}
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

Value Value::array() { return Value(Array{}, Tag{}); }
Value Value::object() { return Value(Object{}, Tag{}); }
bool Value::is_null() const { return std::holds_alternative<std::monostate>(v_); }
bool Value::is_string() const { return std::holds_alternative<std::string>(v_); }
bool Value::operator==(const Value& o) const { return v_ == o.v_; }

Value::Value(std::initializer_list<Value> items) {
  bool pairs = items.size() > 0;
  for (const Value& item : items) {
    const auto* a = std::get_if<Array>(&item.v_);
    pairs = pairs && a != nullptr && a->size() == 2 && (*a)[0].is_string();
  }
  if (!pairs) {
    v_ = Array(items);
    return;
  }
  Object o;
  for (const Value& item : items) {
    const auto& a = std::get<Array>(item.v_);
    o.push_back({std::get<std::string>(a[0].v_), a[1]});
  }
  v_ = std::move(o);
}

void Value::push_back(Value item) {
  if (is_null()) v_ = Array{};
  if (auto* a = std::get_if<Array>(&v_)) a->push_back(std::move(item));
}

void Value::set(std::string key, Value item) {
  if (is_null()) v_ = Object{};
  auto* o = std::get_if<Object>(&v_);
  if (o == nullptr) return;
  for (auto& [k, v] : *o)
    if (k == key) {
      v = std::move(item);
      return;
    }
  o->push_back({std::move(key), std::move(item)});
}

const Value::Object* Value::as_object() const { return std::get_if<Object>(&v_); }

std::string Value::text() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  return json();
}

std::string Value::json() const {
  std::string out;
  write(out);
  return out;
}

void Value::write(std::string& out) const {
  struct Writer {
    std::string& out;
    void operator()(std::monostate) const { out += "null"; }
    void operator()(bool b) const { out += b ? "true" : "false"; }
    void operator()(long long i) const { out += std::to_string(i); }
    void operator()(unsigned long long u) const { out += std::to_string(u); }
    void operator()(double d) const {
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      out += buf;
    }
    void operator()(const std::string& s) const { write_string(out, s); }
    void operator()(const Array& a) const {
      out.push_back('[');
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0) out.push_back(',');
        a[i].write(out);
      }
      out.push_back(']');
    }
    void operator()(const Object& o) const {
      out.push_back('{');
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (i > 0) out.push_back(',');
        write_string(out, o[i].first);
        out.push_back(':');
        o[i].second.write(out);
      }
      out.push_back('}');
    }
  };
  std::visit(Writer{out}, v_);
}

}  // namespace ctxshare
