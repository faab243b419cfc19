#include "service/failpoint/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace credit {
namespace {

struct Config {
  bool enabled = false;
  std::string name;
  long hit = 1;
};

const Config& TheConfig() {
  static const Config config = [] {
    Config c;
    const char* value = std::getenv("CREDITD_FAILPOINT");
    if (value == nullptr || *value == '\0') return c;
    std::string spec = value;
    size_t colon = spec.find(':');
    c.name = spec.substr(0, colon);
    if (colon != std::string::npos) c.hit = std::max(1L, std::atol(spec.c_str() + colon + 1));
    c.enabled = true;
    return c;
  }();
  return config;
}

std::atomic<long> hits{0};

}  // namespace

void FailPoint(const char* name) {
  const Config& config = TheConfig();
  if (!config.enabled || config.name != name) return;
  if (hits.fetch_add(1) + 1 == config.hit) {
    static constexpr char kMessage[] = "creditd: fail point reached, killing myself\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    kill(getpid(), SIGKILL);
  }
}

}  // namespace credit
