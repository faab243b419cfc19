#include "service/procedure/rules.h"

#include "absl/strings/str_cat.h"
#include "common/proto/enum_names.h"

namespace credit {

namespace {

// The categories `rules` name, and "" for every other: each combination a rule can reach.
std::vector<std::string> CategoriesNamed(const ProcedureRules& rules) {
  std::vector<std::string> categories = {""};
  for (const RuleOverride& o : rules.overrides) {
    if (o.category) categories.push_back(*o.category);
  }
  return categories;
}

}  // namespace

int LegalMaxPublicationDays(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_MINOR:
      return 90;
    case v1::SEVERITY_GENERAL:
      return 365;
    case v1::SEVERITY_SERIOUS:
      return 1095;
    default:
      return 0;
  }
}

int LegalMinPublicationDays(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_GENERAL:
      return 90;
    case v1::SEVERITY_SERIOUS:
      return 365;
    default:
      return 0;
  }
}

ListingRule ProcedureRules::RuleFor(v1::ListKind list, v1::Severity severity,
                                    absl::string_view category) const {
  ListingRule rule;
  if (list == v1::LIST_KIND_RED) {
    rule.notice_days = 0;
  } else {
    rule.min_publication_days = LegalMinPublicationDays(severity);
    rule.max_publication_days =
        severity == v1::SEVERITY_MINOR ? 0 : LegalMaxPublicationDays(severity);
  }
  for (const RuleOverride& o : overrides) {
    if ((o.list && *o.list != list) || (o.severity && *o.severity != severity) ||
        (o.category && *o.category != category)) {
      continue;
    }
    if (o.approval_required) rule.approval_required = *o.approval_required;
    if (o.notice_days) rule.notice_days = *o.notice_days;
    if (o.min_publication_days) rule.min_publication_days = *o.min_publication_days;
    if (o.max_publication_days) rule.max_publication_days = *o.max_publication_days;
    if (o.repairable) rule.repairable = *o.repairable;
  }
  return rule;
}

v1::Severity ProcedureRules::SeverityOf(const v1::Entry& entry) const {
  if (entry.list() == v1::LIST_KIND_RED) return v1::SEVERITY_UNSPECIFIED;
  return entry.severity() == v1::SEVERITY_UNSPECIFIED ? default_severity : entry.severity();
}

ListingRule ProcedureRules::RuleFor(const v1::Entry& entry) const {
  return RuleFor(entry.list(), SeverityOf(entry), entry.category());
}

absl::Status CheckProcedureRules(const ProcedureRules& rules, absl::string_view field) {
  if (rules.default_severity == v1::SEVERITY_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".default_severity: want minor, general or serious"));
  }
  if (rules.sweep_interval < absl::Seconds(1) || rules.sweep_interval > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".sweep_interval_seconds: want 1 to 86400"));
  }
  // Every combination an override can reach, checked whole: an item may be lawful alone and not
  // after a later one changes the other bound.
  const std::vector<std::string> categories = CategoriesNamed(rules);
  for (v1::ListKind list : {v1::LIST_KIND_RED, v1::LIST_KIND_BLACK, v1::LIST_KIND_WATCH}) {
    for (v1::Severity severity : {v1::SEVERITY_MINOR, v1::SEVERITY_GENERAL, v1::SEVERITY_SERIOUS}) {
      if (list == v1::LIST_KIND_RED && severity != v1::SEVERITY_MINOR) continue;
      v1::Severity s = list == v1::LIST_KIND_RED ? v1::SEVERITY_UNSPECIFIED : severity;
      for (const std::string& category : categories) {
        ListingRule rule = rules.RuleFor(list, s, category);
        std::string where =
            absl::StrCat(field, ".rules: for ", ShortName(list),
                         list == v1::LIST_KIND_RED ? "" : absl::StrCat(" ", SeverityWord(s)),
                         category.empty() ? "" : " category " + category, ": ");
        if (rule.notice_days < 0 || rule.notice_days > 60) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "notice_days ", rule.notice_days, ", want 0 to 60"));
        }
        if (list == v1::LIST_KIND_RED) continue;
        int legal_max = LegalMaxPublicationDays(s);
        if (rule.max_publication_days < 0 || rule.max_publication_days > legal_max) {
          return absl::InvalidArgumentError(absl::StrCat(where, "max_publication_days ",
                                                         rule.max_publication_days, ", want 0 to ",
                                                         legal_max));
        }
        if (rule.min_publication_days < 0 ||
            rule.min_publication_days > rule.max_publication_days &&
                rule.max_publication_days > 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "min_publication_days ", rule.min_publication_days,
                           ", want 0 to ", "max_publication_days ", rule.max_publication_days));
        }
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ProcedureWarnings(const ProcedureRules& rules) {
  const std::vector<std::string> categories = CategoriesNamed(rules);
  std::vector<std::string> warnings;
  for (v1::ListKind list : {v1::LIST_KIND_BLACK, v1::LIST_KIND_WATCH}) {
    for (v1::Severity severity : {v1::SEVERITY_MINOR, v1::SEVERITY_GENERAL, v1::SEVERITY_SERIOUS}) {
      for (const std::string& category : categories) {
        if (rules.RuleFor(list, severity, category).approval_required) continue;
        warnings.push_back(
            absl::StrCat("procedure: ", ShortName(list), " ", SeverityWord(severity), " listings",
                         category.empty() ? "" : " of category " + category,
                         " take effect without an approver's approval (no four-eyes check)"));
      }
    }
  }
  return warnings;
}

absl::string_view SeverityWord(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_MINOR:
      return "minor";
    case v1::SEVERITY_GENERAL:
      return "general";
    case v1::SEVERITY_SERIOUS:
      return "serious";
    default:
      return "none";
  }
}

std::optional<v1::Severity> ParseSeverityWord(absl::string_view word) {
  if (word == "minor") return v1::SEVERITY_MINOR;
  if (word == "general") return v1::SEVERITY_GENERAL;
  if (word == "serious") return v1::SEVERITY_SERIOUS;
  return std::nullopt;
}

}  // namespace credit
