#include "credit/status_evidence.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/changelog/change_record.h"
#include "common/listing/in_force.h"
#include "common/subject/subject_code.h"

namespace credit {
namespace {

absl::Status Refuse(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("the point-in-time answer is not supported by its evidence: ", what));
}

// The entry after `change`, from its record bytes when it carries them.
absl::StatusOr<v1::Entry> EntryOf(const v1::Change& change) {
  if (change.record().empty()) return change.entry_after();
  absl::StatusOr<ChangeRecord> record = DecodeChangeRecord(change.record());
  v1::Entry recorded;
  if (!record.ok() || record->sequence != change.sequence() ||
      record->object_type != ObjectType::kEntry || !recorded.ParseFromString(record->after)) {
    return Refuse(
        absl::StrCat("change ", change.sequence(), ": its record bytes are not an entry change"));
  }
  return recorded;
}

// The code as the answer shows it may be masked; the record holds it in clear.
bool SameSubject(absl::string_view shown, absl::string_view asked) {
  return shown == asked || shown == MaskPersonCode(asked);
}

// What the comparison between a status entry and an evidence entry covers: the fields a status
// is judged on.
std::string StatusFields(const v1::Entry& e) {
  return absl::StrCat(e.id(), "|", e.list(), "|", e.status(), "|", e.effective_date(), "|",
                      e.expiry_date(), "|", absl::StrJoin(e.measure_codes(), ","));
}

}  // namespace

absl::Status CheckStatusEvidence(absl::string_view subject_code,
                                 const v1::GetCreditStatusAtResponse& response) {
  const v1::CreditStatus& status = response.status();
  const std::string& date = status.as_of_date();
  // The entries in force then, by id, from the evidence.
  std::map<uint64_t, v1::Entry> in_force;
  std::set<uint64_t> seen;
  for (const v1::Evidence& evidence : response.evidence()) {
    const v1::Change& change = evidence.change();
    if (change.sequence() >= response.tree_head().tree_size()) {
      return Refuse(absl::StrCat("change ", change.sequence(), " is beyond the tree of size ",
                                 response.tree_head().tree_size()));
    }
    absl::StatusOr<v1::Entry> entry = EntryOf(change);
    if (!entry.ok()) return entry.status();
    if (!seen.insert(entry->id()).second) {
      return Refuse(absl::StrCat("entry ", entry->id(), " has two last changes"));
    }
    if (!SameSubject(entry->subject().code(), subject_code)) continue;  // moved to another subject
    if (InForceOn(*entry, date)) {
      in_force.emplace(entry->id(), *std::move(entry));
    }
  }

  if (status.entries_size() != static_cast<int>(in_force.size())) {
    return Refuse(absl::StrCat("it lists ", status.entries_size(), " entries in force on ", date,
                               ", the evidence gives ", in_force.size()));
  }
  bool red = false, black = false, watch = false;
  std::map<std::string, std::vector<uint64_t>> measure_entries;
  auto it = in_force.begin();
  for (const v1::Entry& shown : status.entries()) {
    if (StatusFields(shown) != StatusFields(it->second)) {
      return Refuse(absl::StrCat("entry ", shown.id(), " differs from the evidence's entry ",
                                 it->second.id()));
    }
    red |= shown.list() == v1::LIST_KIND_RED;
    black |= shown.list() == v1::LIST_KIND_BLACK;
    watch |= shown.list() == v1::LIST_KIND_WATCH;
    for (const std::string& code : it->second.measure_codes()) {
      measure_entries[code].push_back(it->first);
    }
    ++it;
  }
  if (status.on_red_list() != red || status.on_black_list() != black ||
      status.on_watch_list() != watch) {
    return Refuse(absl::StrCat("list flags red/black/watch ", status.on_red_list(), "/",
                               status.on_black_list(), "/", status.on_watch_list(),
                               ", the evidence gives ", red, "/", black, "/", watch));
  }
  // Which measures apply to the caller's department is the catalogue's to say; for each one
  // named, the entries calling for it must be exactly those the evidence gives.
  for (const v1::ApplicableMeasure& measure : status.measures()) {
    auto found = measure_entries.find(measure.measure().code());
    std::vector<uint64_t> shown(measure.entry_ids().begin(), measure.entry_ids().end());
    if (found == measure_entries.end() || found->second != shown) {
      return Refuse(absl::StrCat(
          "measure ", measure.measure().code(), " is applied for entries [",
          absl::StrJoin(shown, ","), "], the evidence gives [",
          found == measure_entries.end() ? "" : absl::StrJoin(found->second, ","), "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace credit
