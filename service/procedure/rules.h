// The listing procedure's configuration (config key `procedure`): which list kinds need approval,
// and the notice, publication and repair periods per list kind, severity and category. Defaults
// follow 国办发〔2020〕49号 and 《信用修复管理办法》 (国家发展改革委令第36号): 5 days' notice for
// black and watch entries, none for red ones; publication of 轻微 failings none (at most 90 days
// when configured), of 一般 ones 90 to 365 days, of 严重 ones 365 to 1095 days, the minimum being
// the earliest repair. Durations are calendar days. Value types; thread-safe once built.
#ifndef CREDIT_SERVICE_PROCEDURE_RULES_H_
#define CREDIT_SERVICE_PROCEDURE_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// What applies to one listing: its list kind, severity and category.
struct ListingRule {
  // A PROPOSED entry waits for an approver; otherwise RecordEntry makes it take effect at once.
  bool approval_required = true;
  // The objection period after approval; 0: approval makes the entry ACTIVE.
  int notice_days = 5;
  // The earliest repair: this many days after publication starts.
  int min_publication_days = 0;
  // Publication ends this many days after it starts; 0: not published.
  int max_publication_days = 0;
  // Whether a repair may be applied for at all.
  bool repairable = true;
};

// One `procedure.rules` item: the fields it sets, for the listings it matches (every listing
// where a matcher is unset).
struct RuleOverride {
  std::optional<v1::ListKind> list;
  std::optional<v1::Severity> severity;
  std::optional<std::string> category;
  std::optional<bool> approval_required;
  std::optional<int> notice_days;
  std::optional<int> min_publication_days;
  std::optional<int> max_publication_days;
  std::optional<bool> repairable;
};

struct ProcedureRules {
  // The severity of black and watch entries stored before severities existed.
  v1::Severity default_severity = v1::SEVERITY_GENERAL;
  // Whether an ACTIVE entry's measures stay in force while an objection to it is open. An entry
  // objected to during NOTICE never had measures in force, and gets none until it is ACTIVE.
  bool objection_keeps_measures = true;
  // How often the service looks for time-driven transitions while running.
  absl::Duration sweep_interval = absl::Seconds(60);
  // Applied in order over the defaults: a later item wins where both set a field.
  std::vector<RuleOverride> overrides;

  ListingRule RuleFor(v1::ListKind list, v1::Severity severity, absl::string_view category) const;
  // The rule of `entry`, its severity as SeverityOf gives it.
  ListingRule RuleFor(const v1::Entry& entry) const;
  // The entry's severity; the default one for a black or watch entry that has none.
  v1::Severity SeverityOf(const v1::Entry& entry) const;
};

// The longest publication the rules allow for `severity` (90, 365 or 1095 days), and the shortest
// minimum (0, 90, 365).
int LegalMaxPublicationDays(v1::Severity severity);
int LegalMinPublicationDays(v1::Severity severity);

// OK when `rules` keeps within the law for every severity and list kind (notice 0 to 60 days,
// min <= max publication, within the legal bounds); INVALID_ARGUMENT naming `field` and the item
// otherwise.
absl::Status CheckProcedureRules(const ProcedureRules& rules, absl::string_view field);

// What an operator should know about lawful but unusual rules: each black or watch listing
// (list, severity, category named by a rule) that takes effect without approval.
std::vector<std::string> ProcedureWarnings(const ProcedureRules& rules);

// "minor", "general", "serious" (as configuration and the CLI spell them).
absl::string_view SeverityWord(v1::Severity severity);
std::optional<v1::Severity> ParseSeverityWord(absl::string_view word);

}  // namespace credit

#endif  // CREDIT_SERVICE_PROCEDURE_RULES_H_
