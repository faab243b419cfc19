// A Registry over a temporary RocksDB folder with a manual clock and a small catalogue, for the
// domain tests. Callers stand for the configured identities of the dev PKI.
#ifndef CREDIT_TESTS_SERVICE_REGISTRY_REGISTRY_FIXTURE_H_
#define CREDIT_TESTS_SERVICE_REGISTRY_REGISTRY_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "common/subject/subject_code.h"
#include "service/registry/registry.h"
#include "service/verify/store_verifier.h"
#include "tests/support/test_server.h"

namespace credit::testing {

namespace v1 = ::credit::registry::v1;

inline constexpr char kOrgCode[] = "91440300MA5FXXXX0U";
inline constexpr char kOrgCode2[] = "91350200MA2Y9J3T80";
inline constexpr char kPersonCode[] = "440524198001010013";
inline constexpr char kMaskedPersonCode[] = "440524********0013";

inline v1::Measure MakeMeasure(const std::string& code, v1::MeasureKind kind,
                               std::vector<std::string> departments) {
  v1::Measure m;
  m.set_code(code);
  m.set_name("measure " + code);
  m.set_kind(kind);
  for (auto& d : departments) m.add_departments(d);
  m.set_legal_basis("basis of " + code);
  return m;
}

inline std::vector<v1::Measure> TestCatalogue() {
  return {
      MakeMeasure("P-PROCUREMENT", v1::MEASURE_KIND_PUNISHMENT, {"市财政局"}),
      MakeMeasure("P-BIDDING", v1::MEASURE_KIND_PUNISHMENT, {"市住房和城乡建设局"}),
      MakeMeasure("P-SUBSIDY", v1::MEASURE_KIND_PUNISHMENT, {"市财政局", "市中小企业局"}),
      MakeMeasure("I-GREEN-CHANNEL", v1::MEASURE_KIND_INCENTIVE, {"市政务服务数据管理局"}),
      MakeMeasure("I-FUNDING-PRIORITY", v1::MEASURE_KIND_INCENTIVE, {"市财政局"}),
  };
}

// A black-list decision on `code`; `document` numbers its decision document ("深税〔2026〕12号"):
// one subject's decisions differ in it.
inline v1::Entry BlackEntry(const std::string& code = kOrgCode, int document = 12) {
  v1::Entry e;
  e.mutable_subject()->set_code(code);
  e.mutable_subject()->set_name("深圳某某科技有限公司");
  e.set_list(v1::LIST_KIND_BLACK);
  e.set_category("tax");
  e.set_facts("逃避缴纳税款");
  e.set_legal_basis("《税收征收管理法》第六十三条");
  e.set_authority("市税务局");
  e.set_document_number("深税〔2026〕" + std::to_string(document) + "号");
  e.set_decision_date("2026-01-10");
  e.set_effective_date("2026-01-15");
  e.set_expiry_date("2028-01-14");
  e.add_measure_codes("P-PROCUREMENT");
  e.add_measure_codes("P-BIDDING");
  e.set_severity(v1::SEVERITY_GENERAL);
  return e;
}

// Rules under which a recorded listing takes effect at once (no approval, no notice), for the
// tests of everything but the procedure: the log, status, indexes. A real configuration may set
// this per list kind; the procedure's own tests use the defaults.
inline ProcedureRules TakesEffectAtOnce() {
  ProcedureRules rules;
  RuleOverride at_once;
  at_once.approval_required = false;
  at_once.notice_days = 0;
  rules.overrides.push_back(at_once);
  return rules;
}

class RegistryFixture : public ::testing::Test {
 protected:
  static constexpr int kSeeded = 5;  // change records the catalogue seeding appends

  RegistryFixture() { Open(); }

  // Opens with `rules_` unless `options` names other rules.
  void Open(RegistryOptions options = {}) {
    options.data_dir = dir_.path();
    if (options.procedure.overrides.empty()) options.procedure = rules_;
    options.sweep_periodically = false;
    absl::StatusOr<std::unique_ptr<Registry>> registry =
        Registry::Open(options, signing_key_, &clock_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    ASSERT_TRUE(registry_->SeedMeasures(TestCatalogue()).ok());
  }

  void Reopen() {
    registry_.reset();
    Open();
  }

  ProcedureRules rules_ = TakesEffectAtOnce();

  absl::StatusOr<v1::RecordEntryResponse> Record(const v1::Entry& entry,
                                                 const std::string& request_id,
                                                 const Caller& caller) {
    v1::RecordEntryRequest request;
    *request.mutable_entry() = entry;
    request.set_request_id(request_id);
    return registry_->RecordEntry(caller, request);
  }
  absl::StatusOr<v1::RecordEntryResponse> Record(const v1::Entry& entry,
                                                 const std::string& request_id) {
    return Record(entry, request_id, recorder_);
  }

  absl::StatusOr<v1::RemoveEntryResponse> Remove(uint64_t id, v1::RemovalKind kind,
                                                 const std::string& request_id,
                                                 uint64_t revision = 0) {
    v1::RemoveEntryRequest request;
    request.set_entry_id(id);
    request.set_kind(kind);
    request.set_reason("行政复议决定撤销");
    request.set_revoking_document("深税复〔2026〕3号");
    request.set_revision(revision);
    request.set_request_id(request_id);
    return registry_->RemoveEntry(recorder_, request);
  }

  v1::CreditStatus StatusFor(const std::string& code, const Caller& caller) {
    v1::GetCreditStatusRequest request;
    request.set_subject_code(code);
    request.set_purpose("政府采购资格审查");
    absl::StatusOr<v1::GetCreditStatusResponse> response =
        registry_->GetCreditStatus(caller, request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->status() : v1::CreditStatus();
  }

  // OK when `head` is signed by this registry's key.
  absl::Status VerifySignature(const v1::SignedTreeHead& head) {
    merkle::TreeHead parsed{head.tree_size(), head.timestamp_micros(),
                            *merkle::ToHash(head.root_hash(), "root"),
                            *merkle::ToHash(head.key_id(), "key id")};
    return merkle::VerifyTreeHeadSignature(parsed, head.signature(), signing_key_.PublicKey());
  }

  // The offline verifier over the data folder (the registry must be closed).
  absl::StatusOr<VerifyReport> Verify() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::OpenReadOnly(dir_.path());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return store.status();
    return VerifyStore(**store, signing_key_.PublicKey());
  }

  // Imports `calls` × 1000 black-list entries, one per organisation 9144030000000000n (n counted
  // from 0), through ImportEntries.
  void ImportThousands(int calls) {
    for (int call = 0; call < calls; ++call) {
      v1::ImportEntriesRequest request;
      request.set_request_id("import-" + std::to_string(call));
      for (int i = 0; i < 1000; ++i) {
        std::string code = absl::StrFormat("9144030%010d", call * 1000 + i);
        *request.add_entries() = BlackEntry(code + UsccCheckCharacter(code));
      }
      ASSERT_TRUE(registry_->ImportEntries(recorder_, request).ok());
    }
  }

  std::vector<v1::Change> AllChanges() {
    v1::ListChangesRequest request;
    request.set_page_size(1000);
    absl::StatusOr<v1::ListChangesResponse> response = registry_->ListChanges(auditor_, request);
    EXPECT_TRUE(response.ok()) << response.status();
    return {response->changes().begin(), response->changes().end()};
  }

  TempDir dir_;
  SigningKey signing_key_ = *SigningKey::Generate();
  ManualClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), absl::FixedTimeZone(8 * 3600))};
  std::unique_ptr<Registry> registry_;
  Caller recorder_{"recorder", "市中小企业局", static_cast<uint32_t>(Role::kRecorder), true};
  Caller other_recorder_{"recorder-b", "市市场监督管理局", static_cast<uint32_t>(Role::kRecorder),
                         true};
  Caller querier_{"querier", "市财政局", static_cast<uint32_t>(Role::kQuerier), false};
  Caller builder_{"builder", "市住房和城乡建设局", static_cast<uint32_t>(Role::kQuerier), false};
  Caller auditor_{"auditor", "市纪委监委", static_cast<uint32_t>(Role::kAuditor), true};
  Caller masked_auditor_{"auditor-b", "市审计局", static_cast<uint32_t>(Role::kAuditor), false};
};

}  // namespace credit::testing

#endif  // CREDIT_TESTS_SERVICE_REGISTRY_REGISTRY_FIXTURE_H_
