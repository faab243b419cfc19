#include "common/cli/args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace credit::cli {

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv,
                                 const std::set<std::string>& accepted,
                                 const std::set<std::string>& switches) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      args.positionals_.push_back(arg);
      continue;
    }
    if (switches.contains(arg)) {
      if (!args.flags_.emplace(arg, "").second) {
        return absl::InvalidArgumentError(absl::StrCat(arg, ": given twice"));
      }
      continue;
    }
    std::string name = arg;
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, ": missing its value"));
    }
    if (!accepted.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": unknown flag for this command"));
    }
    if (!args.flags_.emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": given twice"));
    }
  }
  return args;
}

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = flags_.find(flag);
  return it == flags_.end() ? fallback : it->second;
}

absl::StatusOr<std::string> Args::Required(const std::string& flag) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return absl::InvalidArgumentError(absl::StrCat(flag, ": required"));
  return it->second;
}

absl::StatusOr<uint64_t> Args::Number(const std::string& flag, uint64_t fallback) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return fallback;
  return ParseNumber(it->second, flag);
}

std::vector<std::string> SplitList(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

absl::StatusOr<uint64_t> ParseNumber(const std::string& text, const std::string& what) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": got \"", text, "\", want a whole number"));
  }
  return value;
}

}  // namespace credit::cli
