#include "harness/spec/value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

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

namespace {

// A recursive-descent reader of the JSON that Value::json() writes (and of any other JSON).
struct JsonReader {
  std::string_view text;
  std::size_t at = 0;

  void skip_space() {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
  }
  bool take(char c) {
    skip_space();
    if (at < text.size() && text[at] == c) return ++at, true;
    return false;
  }
  bool take_word(std::string_view word) {
    if (text.substr(at, word.size()) != word) return false;
    at += word.size();
    return true;
  }
  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | code >> 6));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | code >> 12));
      out.push_back(static_cast<char>(0x80 | (code >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }
  std::optional<std::string> string() {
    if (!take('"')) return std::nullopt;
    std::string out;
    while (at < text.size()) {
      const char c = text[at++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at >= text.size()) return std::nullopt;
      const char e = text[at++];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'u': {
          if (at + 4 > text.size()) return std::nullopt;
          const std::string hex(text.substr(at, 4));
          at += 4;
          append_utf8(out, static_cast<unsigned>(std::strtoul(hex.c_str(), nullptr, 16)));
          break;
        }
        default: out.push_back(e);
      }
    }
    return std::nullopt;
  }
  std::optional<Value> number() {
    const std::size_t from = at;
    bool integral = true;
    while (at < text.size() && std::string_view("+-0123456789.eE").find(text[at]) != std::string_view::npos) {
      if (text[at] == '.' || text[at] == 'e' || text[at] == 'E') integral = false;
      ++at;
    }
    const std::string digits(text.substr(from, at - from));
    if (digits.empty()) return std::nullopt;
    if (!integral) return Value(std::strtod(digits.c_str(), nullptr));
    if (digits[0] == '-') return Value(std::strtoll(digits.c_str(), nullptr, 10));
    const unsigned long long u = std::strtoull(digits.c_str(), nullptr, 10);
    if (u <= 9223372036854775807ull) return Value(static_cast<long long>(u));
    return Value(u);
  }
  std::optional<Value> value(int depth) {
    skip_space();
    if (at >= text.size() || depth > 64) return std::nullopt;
    const char c = text[at];
    if (c == '"') {
      auto s = string();
      return s ? std::optional<Value>(Value(std::move(*s))) : std::nullopt;
    }
    if (c == '[') {
      ++at;
      Value out = Value::array();
      if (take(']')) return out;
      do {
        auto item = value(depth + 1);
        if (!item) return std::nullopt;
        out.push_back(std::move(*item));
      } while (take(','));
      return take(']') ? std::optional<Value>(std::move(out)) : std::nullopt;
    }
    if (c == '{') {
      ++at;
      Value out = Value::object();
      if (take('}')) return out;
      do {
        auto key = string();
        if (!key || !take(':')) return std::nullopt;
        auto item = value(depth + 1);
        if (!item) return std::nullopt;
        out.set(std::move(*key), std::move(*item));
      } while (take(','));
      return take('}') ? std::optional<Value>(std::move(out)) : std::nullopt;
    }
    if (take_word("true")) return Value(true);
    if (take_word("false")) return Value(false);
    if (take_word("null")) return Value(nullptr);
    return number();
  }
};

}  // namespace

std::optional<Value> Value::parse(std::string_view text) {
  JsonReader reader{text};
  auto v = reader.value(0);
  reader.skip_space();
  if (!v || reader.at != text.size()) return std::nullopt;
  return v;
}

}  // namespace ctxshare
