// The checks and the text form of training/Options.def's values, shared by
// the CLI and the training library's set-by-name (header-only, no LLVM).
#ifndef LATHE_TRAINING_OPTIONCHECK_H
#define LATHE_TRAINING_OPTIONCHECK_H

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace lathe::training {

/// Whether all of |text| is a number; sets |out|. "inf" and "nan" count.
inline bool parseNumber(const std::string &text, double &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE;
}

/// "" when |text| passes |check| (a check of training/Options.def: "",
/// "positive", "non-negative", "A..B", "a|b|c"); otherwise why not.
inline std::string checkOptionText(const std::string &check,
                                   const std::string &text) {
  if (check.empty())
    return "";
  double v = 0;
  if (check == "positive")
    return parseNumber(text, v) && v > 0 ? "" : "must be positive";
  if (check == "non-negative")
    return parseNumber(text, v) && v >= 0 ? "" : "must not be negative";
  size_t dots = check.find("..");
  if (dots != std::string::npos) {
    double lo = std::strtod(check.c_str(), nullptr);
    double hi = std::strtod(check.c_str() + dots + 2, nullptr);
    return parseNumber(text, v) && v >= lo && v <= hi
               ? ""
               : "must be in [" + check.substr(0, dots) + ", " +
                     check.substr(dots + 2) + "]";
  }
  std::string list;
  for (size_t at = 0; at <= check.size();) {
    size_t bar = check.find('|', at);
    if (bar == std::string::npos)
      bar = check.size();
    std::string choice = check.substr(at, bar - at);
    if (choice == text)
      return "";
    list += (list.empty() ? "" : ", ") + choice;
    at = bar + 1;
  }
  return "must be one of " + list;
}

/// |text| as a value of an option's type; false when it is not one.
inline bool parseOptionText(const std::string &text, std::string &out) {
  out = text;
  return true;
}
inline bool parseOptionText(const std::string &text, double &out) {
  return parseNumber(text, out);
}
inline bool parseOptionText(const std::string &text, bool &out) {
  if (text == "true" || text == "1" || text == "on" || text == "yes")
    out = true;
  else if (text == "false" || text == "0" || text == "off" || text == "no")
    out = false;
  else
    return false;
  return true;
}
inline bool parseOptionText(const std::string &text, int64_t &out) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  out = v;
  return *end == '\0' && errno != ERANGE;
}
inline bool parseOptionText(const std::string &text, uint64_t &out) {
  if (text.empty() || text[0] == '-')
    return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  out = v;
  return *end == '\0' && errno != ERANGE;
}
/// What a value of an option's type is, for messages.
inline const char *optionKind(const std::string &) { return "a name"; }
inline const char *optionKind(double) { return "a number"; }
inline const char *optionKind(bool) { return "true or false"; }
inline const char *optionKind(int64_t) { return "an integer"; }
inline const char *optionKind(uint64_t) { return "a non-negative integer"; }

/// A list: comma-separated values ("" is the empty list).
template <typename Elem>
bool parseOptionText(const std::string &text, std::vector<Elem> &out) {
  std::vector<Elem> values;
  for (size_t at = 0; at < text.size();) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos)
      comma = text.size();
    Elem v{};
    if (!parseOptionText(text.substr(at, comma - at), v))
      return false;
    values.push_back(v);
    at = comma + 1;
  }
  out = std::move(values);
  return true;
}

/// Sets |field| of option |name| from |text|, as its row's |check| allows;
/// "" or why not, naming the option. What every set-by-name does.
template <typename T>
std::string setOptionText(T &field, const std::string &name,
                          const std::string &text, const std::string &check) {
  T parsed{};
  if (!parseOptionText(text, parsed))
    return "option '" + name + "': '" + text + "' is not " + optionKind(parsed);
  if (auto why = checkOptionText(check, text); !why.empty())
    return "option '" + name + "' " + why + " (got '" + text + "')";
  field = parsed;
  return "";
}

/// The same for a list option.
template <typename Elem>
std::string setOptionText(std::vector<Elem> &field, const std::string &name,
                          const std::string &text, const std::string &) {
  if (!parseOptionText(text, field))
    return "option '" + name + "': '" + text +
           "' is not a comma-separated list of " + optionKind(Elem{}) + "s";
  return "";
}

} // namespace lathe::training

#endif // LATHE_TRAINING_OPTIONCHECK_H
