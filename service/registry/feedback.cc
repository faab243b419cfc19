// Registry's side of joint punishment after the listing: implementing departments' feedback
// (反馈) on the measures an entry triggered, and the statistics the city's assessment counts.
#include <algorithm>
#include <map>
#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/listing/in_force.h"
#include "common/proto/deterministic.h"
#include "common/proto/enum_names.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

using registry_internal::InForce;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
using registry_internal::ToTimestamp;

namespace {

// The day from which an entry's measures were to be applied: the later of its activation and its
// effective date. nullopt for an entry that has not come into force. Entries activated before
// activation_date existed count from their effective date if their state shows they were.
std::optional<absl::CivilDay> TriggeredSince(const v1::Entry& entry) {
  std::string since = entry.activation_date();
  if (since.empty()) {
    bool was_active = entry.status() == v1::ENTRY_STATUS_ACTIVE ||
                      entry.status() == v1::ENTRY_STATUS_EXPIRED ||
                      entry.status() == v1::ENTRY_STATUS_REPAIRED ||
                      (entry.status() == v1::ENTRY_STATUS_OBJECTED &&
                       entry.objection().from_status() == v1::ENTRY_STATUS_ACTIVE);
    if (!was_active) return std::nullopt;
    since = entry.effective_date();
  }
  absl::StatusOr<absl::CivilDay> day = ParseDate(std::max(since, entry.effective_date()));
  if (!day.ok()) return std::nullopt;
  return *day;
}

std::string FeedbackKey(uint64_t entry_id, absl::string_view measure,
                        absl::string_view department) {
  return absl::StrCat(entry_id, "/", measure, "/", department);
}

void AddCounts(const std::map<std::string, uint64_t>& counts,
               google::protobuf::RepeatedPtrField<v1::Count>* out) {
  for (const auto& [key, n] : counts) {
    v1::Count* count = out->Add();
    count->set_key(key);
    count->set_entries(n);
  }
}

double Median(std::vector<int64_t>& values) {
  size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  double upper = static_cast<double>(values[middle]);
  if (values.size() % 2 == 1) return upper;
  double lower = static_cast<double>(*std::max_element(values.begin(), values.begin() + middle));
  return (lower + upper) / 2;
}

}  // namespace

absl::StatusOr<v1::RecordFeedbackResponse> Registry::RecordFeedback(
    const Caller& caller, const v1::RecordFeedbackRequest& request) {
  RETURN_IF_ERROR(ValidateRecordFeedbackRequest(request));
  const v1::Feedback& in = request.feedback();
  auto build = [&](Mutation& m, v1::RecordFeedbackResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, m.Read(Store::EntryRow(in.entry_id())));
    if (!bytes.has_value()) return NoSuchEntry(in.entry_id());
    ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(*bytes, in.entry_id()));
    const auto& codes = entry.measure_codes();
    if (std::find(codes.begin(), codes.end(), in.measure_code()) == codes.end()) {
      return absl::InvalidArgumentError(absl::StrCat("feedback.measure_code: entry ", entry.id(),
                                                     " does not carry measure ", in.measure_code(),
                                                     ", want one of ", absl::StrJoin(codes, ", ")));
    }
    auto measure = writer_catalogue_.find(in.measure_code());
    const bool implements =
        measure != writer_catalogue_.end() &&
        std::find(measure->second.departments().begin(), measure->second.departments().end(),
                  caller.department) != measure->second.departments().end();
    if (!implements) {
      return absl::PermissionDeniedError(absl::StrCat(
          "measure ", in.measure_code(), " is implemented by ",
          measure == writer_catalogue_.end() ? "no department"
                                             : absl::StrJoin(measure->second.departments(), ", "),
          "; department ", caller.department, " may not report feedback on it"));
    }
    const std::string today = Today();
    if (!InForce(entry, today)) {
      return WithPreconditionFailure(
          WithErrorInfo(
              absl::FailedPreconditionError(absl::StrCat(
                  "entry ", entry.id(), " is ", ShortName(entry.status()),
                  StateInForce(entry) ? absl::StrCat(", in force from ", entry.effective_date(),
                                                     " to ", entry.expiry_date())
                                      : "",
                  ": feedback is reported on entries in force")),
              reason::kEntryNotInForce, {{"entry_id", absl::StrCat(entry.id())}}),
          precondition::kEntryInForce, absl::StrCat("entries/", entry.id()),
          "feedback is reported on entries in force");
    }
    if (in.action_date() < entry.effective_date() || in.action_date() > today) {
      return absl::InvalidArgumentError(absl::StrCat("feedback.action_date: got ", in.action_date(),
                                                     ", want a date from the "
                                                     "entry's effective date ",
                                                     entry.effective_date(), " to today ", today));
    }
    const Row row = Store::FeedbackRow(entry.id(), in.measure_code(), caller.department);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, m.Read(row));
    v1::Feedback before;
    if (stored.has_value() && !before.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("feedback on entry ", entry.id(), " measure ",
                                              in.measure_code(), ": stored bytes do not parse"));
    }
    v1::Feedback& after = *response.mutable_feedback();
    after = in;
    after.set_department(caller.department);
    after.mutable_reported_by()->set_identity(caller.identity);
    after.mutable_reported_by()->set_department(caller.department);
    *after.mutable_report_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    *after.mutable_first_report_time() =
        stored.has_value() ? before.first_report_time() : after.report_time();
    after.set_revision(before.revision() + 1);
    ChangeRecord record;
    record.operation = v1::OPERATION_FEEDBACK_RECORDED;
    record.object_type = ObjectType::kFeedback;
    if (stored.has_value()) record.before = *stored;
    record.after = SerializeDeterministic(after);
    m.out().PutFeedback(row, record.after);
    m.Wrote(row, record.after);
    // Not in the subject's change index: a subject's history is its entries' (point-in-time
    // answers replay it).
    m.Append(record, {});
    return absl::OkStatus();
  };
  return Mutate<v1::RecordFeedbackResponse>(caller, Rpc::kRecordFeedback, request,
                                            request.request_id(), build);
}

absl::StatusOr<v1::GetStatisticsResponse> Registry::GetStatistics(
    const v1::GetStatisticsRequest& request) {
  RETURN_IF_ERROR(ValidateGetStatisticsRequest(request));
  std::shared_ptr<const ReadView> view = CurrentView();
  const StoreSnapshot* snapshot = view->snapshot.get();
  MeasureCatalogue catalogue;
  {
    std::shared_lock lock(catalogue_mu_);
    catalogue = catalogue_;
  }
  // Feedback first (one row per department and measure reported on): the entries, scanned next,
  // look their triggered measures up here instead of being held in memory.
  absl::flat_hash_map<std::string, absl::CivilDay> first_reports;
  absl::Status parsed;
  RETURN_IF_ERROR(store_->ScanFeedback(snapshot, [&](absl::string_view bytes) {
    v1::Feedback feedback;
    if (!feedback.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      parsed = absl::DataLossError("a stored feedback does not parse");
      return false;
    }
    absl::Time first = absl::FromUnixSeconds(feedback.first_report_time().seconds());
    first_reports[FeedbackKey(feedback.entry_id(), feedback.measure_code(),
                              feedback.department())] = absl::ToCivilDay(first, time_zone_);
    return true;
  }));
  RETURN_IF_ERROR(parsed);

  std::map<std::string, uint64_t> by_list, by_category, by_severity, by_authority, by_state,
      by_month;
  struct Department {
    uint64_t triggered = 0;
    std::vector<int64_t> days;  // one per feedback received
  };
  std::map<std::string, Department> departments;
  v1::GetStatisticsResponse response;
  RETURN_IF_ERROR(store_->ScanEntries(1, snapshot, [&](uint64_t id, absl::string_view bytes) {
    absl::StatusOr<v1::Entry> entry = ParseEntry(bytes, id);
    if (!entry.ok()) {
      parsed = entry.status();
      return false;
    }
    if (entry->decision_date() < request.from_date() ||
        entry->decision_date() > request.to_date()) {
      return true;
    }
    FillDefaults(&*entry);
    response.set_entries(response.entries() + 1);
    ++by_list[ShortName(entry->list())];
    ++by_category[entry->category()];
    if (entry->severity() != v1::SEVERITY_UNSPECIFIED) {
      ++by_severity[ShortName(entry->severity())];
    }
    ++by_authority[entry->authority()];
    ++by_state[ShortName(entry->status())];
    ++by_month[entry->decision_date().substr(0, 7)];
    std::optional<absl::CivilDay> since = TriggeredSince(*entry);
    if (!since.has_value()) return true;
    for (const std::string& code : entry->measure_codes()) {
      auto measure = catalogue.find(code);
      if (measure == catalogue.end()) continue;
      for (const std::string& name : measure->second.departments()) {
        Department& department = departments[name];
        ++department.triggered;
        auto report = first_reports.find(FeedbackKey(id, code, name));
        if (report != first_reports.end()) {
          department.days.push_back(std::max<int64_t>(0, report->second - *since));
        }
      }
    }
    return true;
  }));
  RETURN_IF_ERROR(parsed);

  response.set_from_date(request.from_date());
  response.set_to_date(request.to_date());
  response.set_as_of_date(Today());
  AddCounts(by_list, response.mutable_by_list());
  AddCounts(by_category, response.mutable_by_category());
  AddCounts(by_severity, response.mutable_by_severity());
  AddCounts(by_authority, response.mutable_by_authority());
  AddCounts(by_state, response.mutable_by_state());
  AddCounts(by_month, response.mutable_by_month());
  for (auto& [name, department] : departments) {
    v1::DepartmentStatistics* out = response.add_departments();
    out->set_department(name);
    out->set_measures_triggered(department.triggered);
    out->set_feedback_received(department.days.size());
    out->set_feedback_rate(static_cast<double>(department.days.size()) /
                           static_cast<double>(department.triggered));
    if (!department.days.empty()) out->set_median_days_to_feedback(Median(department.days));
  }
  return response;
}

}  // namespace credit
