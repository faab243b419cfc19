#include "service/config/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "service/registry/validation.h"

namespace credit {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::credit::registry::v1;

class ConfigReader {
 public:
  ConfigReader(std::string path, fs::path dir) : path_(std::move(path)), dir_(std::move(dir)) {}

  absl::Status Error(absl::string_view key, absl::string_view want) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", key, ": want ", want));
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view key,
                                     bool required) const {
    if (!node) {
      if (required) return Error(key, "a value (it is missing)");
      return std::string();
    }
    if (!node.IsScalar()) return Error(key, "a single value");
    return node.as<std::string>();
  }

  absl::StatusOr<std::string> Path(const YAML::Node& node, absl::string_view key) const {
    ASSIGN_OR_RETURN(std::string value, String(node, key, true));
    fs::path p(value);
    return (p.is_absolute() ? p : dir_ / p).lexically_normal().string();
  }

  absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& node,
                                                      absl::string_view key) const {
    if (!node || !node.IsSequence()) return Error(key, "a list");
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      ASSIGN_OR_RETURN(std::string item, String(node[i], absl::StrCat(key, "[", i, "]"), true));
      out.push_back(std::move(item));
    }
    return out;
  }

  absl::StatusOr<Caller> Identity(const std::string& name, const YAML::Node& node) const {
    std::string key = absl::StrCat("identities.", name);
    if (!node.IsMap()) return Error(key, "a map with department, roles, unmask and facts");
    Caller caller;
    caller.identity = name;
    ASSIGN_OR_RETURN(caller.department, String(node["department"], key + ".department", true));
    ASSIGN_OR_RETURN(std::vector<std::string> roles, StringList(node["roles"], key + ".roles"));
    for (size_t i = 0; i < roles.size(); ++i) {
      absl::StatusOr<Role> role = ParseRole(roles[i]);
      if (!role.ok()) {
        return Error(absl::StrCat(key, ".roles[", i, "]"),
                     "one of querier, recorder, approver, auditor, admin");
      }
      caller.roles |= static_cast<uint32_t>(*role);
    }
    if (node["unmask"]) {
      ASSIGN_OR_RETURN(std::string unmask, String(node["unmask"], key + ".unmask", true));
      if (unmask != "true" && unmask != "false") return Error(key + ".unmask", "true or false");
      caller.can_unmask = unmask == "true";
    }
    if (node["facts"]) {
      ASSIGN_OR_RETURN(std::string facts, String(node["facts"], key + ".facts", true));
      if (facts != "true" && facts != "false") return Error(key + ".facts", "true or false");
      caller.can_read_facts = facts == "true";
    }
    if (node["max_calls"]) {
      ASSIGN_OR_RETURN(std::string text, String(node["max_calls"], key + ".max_calls", true));
      if (!absl::SimpleAtoi(text, &caller.max_calls) || caller.max_calls < 1 ||
          caller.max_calls > 4096) {
        return Error(key + ".max_calls", "a whole number from 1 to 4096");
      }
    }
    return caller;
  }

  absl::StatusOr<v1::Measure> Measure(size_t index, const YAML::Node& node) const {
    std::string key = absl::StrCat("measures[", index, "]");
    v1::Measure measure;
    ASSIGN_OR_RETURN(*measure.mutable_code(), String(node["code"], key + ".code", true));
    ASSIGN_OR_RETURN(*measure.mutable_name(), String(node["name"], key + ".name", true));
    ASSIGN_OR_RETURN(std::string kind, String(node["kind"], key + ".kind", true));
    if (kind == "punishment") {
      measure.set_kind(v1::MEASURE_KIND_PUNISHMENT);
    } else if (kind == "incentive") {
      measure.set_kind(v1::MEASURE_KIND_INCENTIVE);
    } else {
      return Error(key + ".kind", "punishment or incentive");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> departments,
                     StringList(node["departments"], key + ".departments"));
    for (std::string& d : departments) measure.add_departments(std::move(d));
    ASSIGN_OR_RETURN(*measure.mutable_legal_basis(),
                     String(node["legal_basis"], key + ".legal_basis", true));
    if (absl::Status valid = ValidateMeasure(measure, key); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", valid.message()));
    }
    return measure;
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view key) const {
    ASSIGN_OR_RETURN(std::string text, String(node, key, true));
    if (text != "true" && text != "false") return Error(key, "true or false");
    return text == "true";
  }

  absl::StatusOr<int> Days(const YAML::Node& node, absl::string_view key) const {
    ASSIGN_OR_RETURN(std::string text, String(node, key, true));
    int days = 0;
    if (!absl::SimpleAtoi(text, &days) || days < 0 || days > 3650) {
      return Error(key, "a whole number of days from 0 to 3650");
    }
    return days;
  }

  absl::StatusOr<v1::Severity> Severity(const YAML::Node& node, absl::string_view key) const {
    ASSIGN_OR_RETURN(std::string text, String(node, key, true));
    std::optional<v1::Severity> severity = ParseSeverityWord(text);
    if (!severity) return Error(key, "minor, general or serious");
    return *severity;
  }

  absl::StatusOr<RuleOverride> Rule(size_t index, const YAML::Node& node) const {
    const std::string key = absl::StrCat("procedure.rules[", index, "]");
    if (!node.IsMap()) return Error(key, "a map");
    RuleOverride rule;
    for (const auto& item : node) {
      const std::string name = item.first.as<std::string>();
      const std::string field = absl::StrCat(key, ".", name);
      if (name == "list") {
        ASSIGN_OR_RETURN(std::string list, String(item.second, field, true));
        if (list == "red") {
          rule.list = v1::LIST_KIND_RED;
        } else if (list == "black") {
          rule.list = v1::LIST_KIND_BLACK;
        } else if (list == "watch") {
          rule.list = v1::LIST_KIND_WATCH;
        } else {
          return Error(field, "red, black or watch");
        }
      } else if (name == "severity") {
        ASSIGN_OR_RETURN(rule.severity, Severity(item.second, field));
      } else if (name == "category") {
        ASSIGN_OR_RETURN(rule.category, String(item.second, field, true));
      } else if (name == "approval_required") {
        ASSIGN_OR_RETURN(rule.approval_required, Bool(item.second, field));
      } else if (name == "notice_days") {
        ASSIGN_OR_RETURN(rule.notice_days, Days(item.second, field));
      } else if (name == "min_publication_days") {
        ASSIGN_OR_RETURN(rule.min_publication_days, Days(item.second, field));
      } else if (name == "max_publication_days") {
        ASSIGN_OR_RETURN(rule.max_publication_days, Days(item.second, field));
      } else if (name == "repairable") {
        ASSIGN_OR_RETURN(rule.repairable, Bool(item.second, field));
      } else {
        return Error(field,
                     "one of list, severity, category (what the rule matches) and "
                     "approval_required, notice_days, min_publication_days, "
                     "max_publication_days, repairable (what it sets)");
      }
    }
    return rule;
  }

  absl::StatusOr<ProcedureRules> Procedure(const YAML::Node& node) const {
    if (!node.IsMap()) return Error("procedure", "a map");
    ProcedureRules rules;
    if (node["default_severity"]) {
      ASSIGN_OR_RETURN(rules.default_severity,
                       Severity(node["default_severity"], "procedure.default_severity"));
    }
    if (node["objection_keeps_measures"]) {
      ASSIGN_OR_RETURN(rules.objection_keeps_measures, Bool(node["objection_keeps_measures"],
                                                            "procedure.objection_keeps_measures"));
    }
    if (node["sweep_interval_seconds"]) {
      ASSIGN_OR_RETURN(std::string text, String(node["sweep_interval_seconds"],
                                                "procedure.sweep_interval_seconds", true));
      int seconds = 0;
      if (!absl::SimpleAtoi(text, &seconds) || seconds < 1 || seconds > 86400) {
        return Error("procedure.sweep_interval_seconds", "a whole number from 1 to 86400");
      }
      rules.sweep_interval = absl::Seconds(seconds);
    }
    if (const YAML::Node items = node["rules"]) {
      if (!items.IsSequence()) return Error("procedure.rules", "a list of rules");
      for (size_t i = 0; i < items.size(); ++i) {
        ASSIGN_OR_RETURN(RuleOverride rule, Rule(i, items[i]));
        rules.overrides.push_back(std::move(rule));
      }
    }
    if (absl::Status lawful = CheckProcedureRules(rules, "procedure"); !lawful.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", lawful.message()));
    }
    return rules;
  }

 private:
  std::string path_;
  fs::path dir_;
};

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the configuration file"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid YAML: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want a YAML map at the top level"));
  }
  ConfigReader reader(path, fs::absolute(path).parent_path());
  Config config;
  try {
    if (root["listen"]) {
      ASSIGN_OR_RETURN(config.listen, reader.String(root["listen"], "listen", true));
    }
    if (root["data_dir"]) {
      ASSIGN_OR_RETURN(config.data_dir, reader.Path(root["data_dir"], "data_dir"));
    }
    if (root["backup_dir"]) {
      ASSIGN_OR_RETURN(config.backup_dir, reader.Path(root["backup_dir"], "backup_dir"));
    }
    if (root["health_listen"]) {
      ASSIGN_OR_RETURN(config.health_listen,
                       reader.String(root["health_listen"], "health_listen", true));
    }
    if (root["metrics_listen"]) {
      ASSIGN_OR_RETURN(config.metrics_listen,
                       reader.String(root["metrics_listen"], "metrics_listen", true));
    }
    if (root["access_log"]) {
      ASSIGN_OR_RETURN(config.access_log, reader.Bool(root["access_log"], "access_log"));
    }
    if (root["signing_key"]) {
      ASSIGN_OR_RETURN(config.signing_key_file, reader.Path(root["signing_key"], "signing_key"));
    }
    if (root["utc_offset_hours"]) {
      ASSIGN_OR_RETURN(std::string offset,
                       reader.String(root["utc_offset_hours"], "utc_offset_hours", true));
      try {
        config.utc_offset_hours = std::stoi(offset);
      } catch (const std::exception&) {
        return reader.Error("utc_offset_hours", "a whole number of hours, e.g. 8");
      }
      if (config.utc_offset_hours < -12 || config.utc_offset_hours > 14) {
        return reader.Error("utc_offset_hours", "-12 to 14");
      }
    }
    if (const YAML::Node limits = root["limits"]) {
      if (!limits.IsMap()) return reader.Error("limits", "a map");
      struct Field {
        const char* key;
        int64_t* value;
        int64_t min, max;
      };
      int64_t receive = config.limits.max_receive_message_bytes,
              send = config.limits.max_send_message_bytes,
              streams = config.limits.max_concurrent_streams, threads = config.limits.max_threads,
              memory = config.limits.max_memory_bytes, budget = config.limits.memory_budget_bytes,
              per_identity = config.limits.max_calls_per_identity;
      const Field fields[] = {
          {"max_receive_message_bytes", &receive, 4096, 64ll << 20},
          {"max_send_message_bytes", &send, 4096, 1ll << 30},
          {"max_concurrent_streams", &streams, 1, 10000},
          {"max_threads", &threads, 2, 4096},
          {"max_memory_bytes", &memory, 16ll << 20, 64ll << 30},
          {"max_calls_per_identity", &per_identity, 1, 4096},
          {"memory_budget_bytes", &budget, 256ll << 20, 1ll << 40},
      };
      for (const Field& f : fields) {
        if (!limits[f.key]) continue;
        std::string key = absl::StrCat("limits.", f.key);
        ASSIGN_OR_RETURN(std::string text, reader.String(limits[f.key], key, true));
        int64_t v = 0;
        if (!absl::SimpleAtoi(text, &v) || v < f.min || v > f.max) {
          return reader.Error(key, absl::StrCat("a whole number from ", f.min, " to ", f.max));
        }
        *f.value = v;
      }
      config.limits.max_receive_message_bytes = static_cast<int>(receive);
      config.limits.max_send_message_bytes = static_cast<int>(send);
      config.limits.max_concurrent_streams = static_cast<int>(streams);
      config.limits.max_threads = static_cast<int>(threads);
      config.limits.max_memory_bytes = memory;
      config.limits.max_calls_per_identity = static_cast<int>(per_identity);
      config.limits.memory_budget_bytes = budget;
    }
    const YAML::Node tls = root["tls"];
    if (!tls || !tls.IsMap()) return reader.Error("tls", "a map with ca, cert and key");
    ASSIGN_OR_RETURN(config.tls.ca_file, reader.Path(tls["ca"], "tls.ca"));
    ASSIGN_OR_RETURN(config.tls.cert_file, reader.Path(tls["cert"], "tls.cert"));
    ASSIGN_OR_RETURN(config.tls.key_file, reader.Path(tls["key"], "tls.key"));
    if (tls["reload_seconds"]) {
      ASSIGN_OR_RETURN(std::string text,
                       reader.String(tls["reload_seconds"], "tls.reload_seconds", true));
      if (!absl::SimpleAtoi(text, &config.tls.reload_seconds) || config.tls.reload_seconds < 1 ||
          config.tls.reload_seconds > 86400) {
        return reader.Error("tls.reload_seconds", "a whole number of seconds from 1 to 86400");
      }
    }

    const YAML::Node identities = root["identities"];
    if (!identities || !identities.IsMap() || identities.size() == 0) {
      return reader.Error("identities",
                          "a map from certificate common name to "
                          "{department, roles, unmask, facts}");
    }
    for (const auto& item : identities) {
      std::string name = item.first.as<std::string>();
      ASSIGN_OR_RETURN(Caller caller, reader.Identity(name, item.second));
      // YAML keeps both of two equal keys; which one counts must not be left to chance.
      if (!config.identities.emplace(name, std::move(caller)).second) {
        return reader.Error(absl::StrCat("identities.", name),
                            "each identity once (it is listed twice)");
      }
    }
    if (const YAML::Node procedure = root["procedure"]) {
      ASSIGN_OR_RETURN(config.procedure, reader.Procedure(procedure));
    }
    if (const YAML::Node measures = root["measures"]) {
      if (!measures.IsSequence()) return reader.Error("measures", "a list of measures");
      for (size_t i = 0; i < measures.size(); ++i) {
        ASSIGN_OR_RETURN(v1::Measure measure, reader.Measure(i, measures[i]));
        config.seed_measures.push_back(std::move(measure));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  return config;
}

}  // namespace credit
