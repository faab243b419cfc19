// Command-line arguments of creditd and creditctl: "--name value", "--name=value", switches
// ("--name" alone, where a command declares it so) and positionals.
// A command declares the flags it accepts; anything else is a usage error (exit code 2).
#ifndef CREDIT_COMMON_CLI_ARGS_H_
#define CREDIT_COMMON_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace credit::cli {

class Args {
 public:
  // Splits `argv` into flags and positionals. `switches` take no value (Has() tells whether one
  // was given). INVALID_ARGUMENT for a flag in neither set, a flag given twice, or a flag without
  // its value.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::set<std::string>& accepted,
                                    const std::set<std::string>& switches = {});

  const std::vector<std::string>& positionals() const { return positionals_; }
  bool Has(const std::string& flag) const { return flags_.contains(flag); }
  // The flag's value, or `fallback` when it was not given.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  // The flag's value; INVALID_ARGUMENT naming the flag when it was not given.
  absl::StatusOr<std::string> Required(const std::string& flag) const;
  // The flag's value as a non-negative integer, or `fallback`.
  absl::StatusOr<uint64_t> Number(const std::string& flag, uint64_t fallback) const;

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positionals_;
};

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> SplitList(const std::string& text);

// Parses a decimal id or count; INVALID_ARGUMENT naming `what` otherwise.
absl::StatusOr<uint64_t> ParseNumber(const std::string& text, const std::string& what);

}  // namespace credit::cli

#endif  // CREDIT_COMMON_CLI_ARGS_H_
