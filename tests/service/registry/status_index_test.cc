// The in-memory status index against storage: the class alone over random subject records (as the
// storage path reads them), and a real Registry driven through random steps of the listing
// procedure, whose BASIC answers (from the index) must equal a model computed from the entries
// themselves, the FULL answers (read from storage) and the batch answers, also across reopens
// (the index saved at close and loaded, or refused and filled). And the saved file alone.
#include "service/registry/status_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_format.h"
#include "common/listing/in_force.h"
#include "common/subject/subject_code.h"
#include "common/text/date.h"
#include "service/registry/registry_internal.h"
#include "service/storage/subject_record.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

namespace fs = std::filesystem;
using registry_internal::StatusPartView;

std::string OrgCode(int n) {
  std::string first17 = absl::StrFormat("9144030%010d", n);
  return first17 + UsccCheckCharacter(first17);
}

TEST(StatusIndexKeyTest, PacksEighteenCharactersOfTheAlphabetOnly) {
  StatusIndex::Key a, b;
  ASSERT_TRUE(StatusIndex::Pack("91440300MA5FXXXX0U", &a));
  ASSERT_TRUE(StatusIndex::Pack("440524198001010013", &b));
  EXPECT_TRUE(a.low != b.low || a.high != b.high);
  ASSERT_TRUE(StatusIndex::Pack("YYYYYYYYYYYYYYYYYY", &a));
  uint64_t low = 0;  // 'Y' is the alphabet's 31st symbol: 30 in each of 12 five-bit places
  for (int i = 0; i < 12; ++i) low = low << 5 | 30;
  EXPECT_EQ(a.low, low);
  EXPECT_EQ(a.high, 30u * (1 + 32 + 1024 + 32768 + (1u << 20) + (1u << 25)));
  StatusIndex::Key c;
  EXPECT_FALSE(StatusIndex::Pack("91440300MA5FXXXX0", &c));    // 17 characters
  EXPECT_FALSE(StatusIndex::Pack("91440300MA5FXXXX0UU", &c));  // 19
  EXPECT_FALSE(StatusIndex::Pack("91440300MA5FXXXXIU", &c));   // I is not in the alphabet
  EXPECT_FALSE(StatusIndex::Pack("44052419800101001x", &c));   // lower case
}

// What the storage path makes of a stored record on `day`: its last change and its parts in
// force, as (id, list, status, measure codes).
struct Expected {
  std::optional<uint64_t> last_change;
  std::vector<std::tuple<uint64_t, int, int, std::vector<std::string>>> parts;
};

Expected ReadAsStorageDoes(const std::string& record, absl::CivilDay day) {
  Expected expected;
  absl::StatusOr<SubjectRecordView> view = DecodeSubjectRecord(record);
  EXPECT_TRUE(view.ok()) << view.status();
  expected.last_change = view->last_change;
  for (const auto& item : view->active) {
    StatusPartView part;
    EXPECT_TRUE(registry_internal::ReadStatusPart(item.entry, item.id, &part).ok());
    if (!registry_internal::InForce(part, FormatDate(day))) continue;
    expected.parts.emplace_back(
        item.id, part.list, part.status,
        std::vector<std::string>(part.measure_codes.begin(), part.measure_codes.end()));
  }
  return expected;
}

Expected FromIndex(const StatusIndex::Found& found, size_t i) {
  Expected got;
  got.last_change = found.last_changes[i];
  for (uint32_t p = found.begins[i]; p < found.begins[i + 1]; ++p) {
    const StatusPartView& part = found.parts[p];
    EXPECT_TRUE(part.effective_date.empty() && part.expiry_date.empty());
    got.parts.emplace_back(
        part.id, part.list, part.status,
        std::vector<std::string>(part.measure_codes.begin(), part.measure_codes.end()));
  }
  return got;
}

class StatusIndexTest : public ::testing::Test {
 protected:
  StatusIndexTest() { store_ = *Store::Open(dir_.path()); }

  std::shared_ptr<const ChangeLog::ReadView> View(uint64_t tree_size) {
    auto view = std::make_shared<ChangeLog::ReadView>();
    view->head.set_tree_size(tree_size);
    view->head.set_root_hash(std::string(32, static_cast<char>(tree_size)));
    view->snapshot = store_->Snapshot();
    return view;
  }

  // A random record of up to four entries; `odd` ones hold a date the index cannot pack.
  std::string RandomRecord(std::mt19937& random, bool odd) {
    SubjectRecord record;
    if (random() % 4 != 0) record.last_change = random() % 100000;
    const int entries = static_cast<int>(random() % 5);
    for (int e = 0; e < entries; ++e) {
      v1::Entry entry;
      entry.set_list(static_cast<v1::ListKind>(1 + random() % 3));
      const v1::EntryStatus status[] = {v1::ENTRY_STATUS_ACTIVE, v1::ENTRY_STATUS_OBJECTED,
                                        v1::ENTRY_STATUS_NOTICE};
      entry.set_status(status[random() % 3]);
      const absl::CivilDay from = absl::CivilDay(2026, 1, 1) + static_cast<int>(random() % 400);
      entry.set_effective_date(FormatDate(from));
      entry.set_expiry_date(FormatDate(from + static_cast<int>(random() % 400)));
      if (odd && e == 0) entry.set_expiry_date(random() % 2 ? "2026-02-40" : "2026-2-05");
      const int measures = static_cast<int>(random() % 6);
      for (int m = 0; m < measures; ++m) {
        entry.add_measure_codes(absl::StrCat("M-", random() % 40));
      }
      const uint64_t id = 1 + random() % 1000000;
      std::string part = registry_internal::StatusPart(entry);
      record.Set(id, &part);
    }
    if (odd && entries == 0) return RandomRecord(random, odd);
    return record.Encode();
  }

  void ExpectAgreement(const StatusIndex& index, const std::map<std::string, std::string>& model,
                       const std::set<std::string>& odd, const std::vector<std::string>& codes,
                       absl::CivilDay day, uint64_t want_tree_size) {
    StatusIndex::Found found;
    std::vector<absl::string_view> views(codes.begin(), codes.end());
    std::shared_ptr<const ChangeLog::ReadView> view = index.Read(views, day, &found);
    ASSERT_NE(view, nullptr);
    EXPECT_EQ(view->head.tree_size(), want_tree_size);
    bool any_odd = false;
    for (const std::string& code : codes) any_odd |= odd.contains(code);
    ASSERT_EQ(found.needs_storage, any_odd);
    if (any_odd) return;
    for (size_t i = 0; i < codes.size(); ++i) {
      auto stored = model.find(codes[i]);
      Expected want;
      if (stored != model.end()) want = ReadAsStorageDoes(stored->second, day);
      Expected got = FromIndex(found, i);
      EXPECT_EQ(got.last_change, want.last_change) << codes[i];
      EXPECT_EQ(got.parts, want.parts) << codes[i] << " on " << FormatDate(day);
    }
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StatusIndexTest, RandomRecordsReadAsStorageReadsThemThroughGrowthAndCompaction) {
  std::mt19937 random(20261207);
  std::map<std::string, std::string> model;
  std::set<std::string> odd;
  // 1500 subjects stored before the fill; 20,000 more added in one group later (the shards grow
  // past their first 256 slots each).
  WriteSet stored(*store_);
  for (int n = 0; n < 1500; ++n) {
    const std::string code = OrgCode(n);
    const bool is_odd = n % 97 == 0;
    model[code] = RandomRecord(random, is_odd);
    if (is_odd) odd.insert(code);
    stored.PutSubjectRecord(code, model[code]);
  }
  // An unusual code (never valid in a request, but stored): left to storage too.
  stored.PutSubjectRecord("SHORT", model["SHORT"] = RandomRecord(random, false));
  ASSERT_TRUE(store_->Commit(&stored).ok());

  StatusIndex index(/*min_compaction_bytes=*/4096);
  index.StartFill(store_.get(), View(1));
  ASSERT_TRUE(index.AwaitReady(absl::Seconds(30)));
  EXPECT_EQ(index.figures().subjects, 1500u);

  std::vector<std::string> all;
  for (int n = 0; n < 1600; ++n) all.push_back(OrgCode(n));  // the last 100 never stored
  uint64_t tree_size = 1;
  const uint64_t first_table_bytes = index.figures().table_bytes;
  for (int round = 0; round < 30; ++round) {
    // A group rewriting some subjects (a few twice: the later one counts) and adding new ones.
    std::vector<StatusIndex::Record> group;
    if (round == 10) {
      for (int n = 2000; n < 22000; ++n) {
        group.emplace_back(OrgCode(n), model[OrgCode(n)] = RandomRecord(random, false));
        all.push_back(OrgCode(n));
      }
    }
    for (int k = 0; k < 200; ++k) {
      const std::string code = OrgCode(static_cast<int>(random() % 1700));
      const bool is_odd = random() % 50 == 0;
      group.emplace_back(code, RandomRecord(random, is_odd));
      model[code] = group.back().second;
      if (is_odd) {
        odd.insert(code);
      } else {
        odd.erase(code);
      }
    }
    index.Apply(group, View(++tree_size));
    const absl::CivilDay day = absl::CivilDay(2026, 1, 1) + static_cast<int>(random() % 800);
    for (int k = 0; k < 50; ++k) {
      ExpectAgreement(index, model, odd, {all[random() % all.size()]}, day, tree_size);
    }
    std::vector<std::string> batch;
    for (int k = 0; k < 300; ++k) {
      const std::string& code = all[random() % all.size()];
      if (!odd.contains(code)) batch.push_back(code);
    }
    ExpectAgreement(index, model, odd, batch, day, tree_size);
  }
  // Every subject at once, after the growth.
  std::vector<std::string> every;
  for (const std::string& code : all) {
    if (!odd.contains(code)) every.push_back(code);
  }
  ExpectAgreement(index, model, odd, every, absl::CivilDay(2026, 6, 1), tree_size);
  StatusIndex::Found found;
  std::vector<absl::string_view> shortcode = {"SHORT"};
  ASSERT_NE(index.Read(shortcode, absl::CivilDay(2026, 6, 1), &found), nullptr);
  EXPECT_TRUE(found.needs_storage);
  // Compaction ran (the dead records of 6000 rewrites would outweigh the live ones otherwise).
  const StatusIndex::Figures figures = index.figures();
  EXPECT_LE(figures.arena_bytes, 2 * figures.live_bytes + (2u << 20));
  EXPECT_GT(figures.live_bytes, 1500u * 3);
  // Grown shard by shard by at least a quarter (whole 4 KiB pages of slots): 55-80 % full.
  EXPECT_EQ(first_table_bytes, 16u * 4096);
  EXPECT_GE(figures.subjects * 16 * 100, figures.table_bytes * 55);
  EXPECT_LE(figures.subjects * 16 * 100, figures.table_bytes * 80);
}

TEST_F(StatusIndexTest, GroupsAppliedWhileItFillsAreAppliedAfterTheFillInOrder) {
  WriteSet stored(*store_);
  SubjectRecord before;
  before.last_change = 7;
  stored.PutSubjectRecord(OrgCode(1), before.Encode());
  ASSERT_TRUE(store_->Commit(&stored).ok());

  StatusIndex index;
  SubjectRecord first, second;
  first.last_change = 8;
  second.last_change = 9;
  std::vector<StatusIndex::Record> one = {{OrgCode(1), first.Encode()}};
  std::vector<StatusIndex::Record> two = {{OrgCode(1), second.Encode()},
                                          {OrgCode(2), first.Encode()}};
  index.Apply(one, View(8));  // before the fill starts: queued
  StatusIndex::Found found;
  const std::string one_code = OrgCode(1), two_code = OrgCode(2);
  std::vector<absl::string_view> codes = {one_code, two_code};
  EXPECT_EQ(index.Read(codes, absl::CivilDay(2026, 6, 1), &found), nullptr);
  index.Apply(two, View(9));
  index.StartFill(store_.get(), View(7));
  ASSERT_TRUE(index.AwaitReady(absl::Seconds(30)));
  std::shared_ptr<const ChangeLog::ReadView> view =
      index.Read(codes, absl::CivilDay(2026, 6, 1), &found);
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->head.tree_size(), 9u);
  EXPECT_EQ(found.last_changes[0], std::optional<uint64_t>(9));
  EXPECT_EQ(found.last_changes[1], std::optional<uint64_t>(8));
  EXPECT_FALSE(found.needs_storage);
}

// The file a clean stop saves: loaded to the same answers and figures; refused (and the index
// left to be filled) when its stamp is not the database's and the log's, or a byte differs.
TEST_F(StatusIndexTest, ASavedIndexLoadsWhenItsStampHoldsAndIsRefusedOtherwise) {
  std::mt19937 random(7);
  std::map<std::string, std::string> model;
  std::set<std::string> odd;
  WriteSet stored(*store_);
  for (int n = 0; n < 3000; ++n) {
    const std::string code = OrgCode(n);
    model[code] = RandomRecord(random, n % 101 == 0);
    if (n % 101 == 0) odd.insert(code);
    stored.PutSubjectRecord(code, model[code]);
  }
  stored.PutSubjectRecord("SHORT", RandomRecord(random, false));
  ASSERT_TRUE(store_->Commit(&stored).ok());
  StatusIndex index(/*min_compaction_bytes=*/4096);
  index.StartFill(store_.get(), View(5));
  ASSERT_TRUE(index.AwaitReady(absl::Seconds(30)));
  // Rewrites leave dead records behind (and one compaction): the file holds the arena as it is.
  std::vector<StatusIndex::Record> group;
  for (int k = 0; k < 2000; ++k) {
    const std::string code = OrgCode(static_cast<int>(random() % 3000));
    if (odd.contains(code)) continue;
    group.emplace_back(code, model[code] = RandomRecord(random, false));
  }
  index.Apply(group, View(6));
  const std::string path = dir_.path() + "/saved-index";
  ASSERT_TRUE(index.Save(path, 41).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  StatusIndex loaded;
  ASSERT_TRUE(loaded.Load(path, 41, View(6)).ok());
  const StatusIndex::Figures want = index.figures(), got = loaded.figures();
  EXPECT_TRUE(got.ready);
  EXPECT_TRUE(got.loaded);
  EXPECT_FALSE(want.loaded);
  EXPECT_EQ(got.subjects, want.subjects);
  EXPECT_EQ(got.table_bytes, want.table_bytes);
  EXPECT_EQ(got.arena_bytes, want.arena_bytes);
  EXPECT_EQ(got.live_bytes, want.live_bytes);
  EXPECT_EQ(loaded.MemoryBytes(), index.MemoryBytes());
  std::vector<std::string> all;
  for (int n = 0; n < 3100; ++n) {
    if (!odd.contains(OrgCode(n))) all.push_back(OrgCode(n));
  }
  for (int k = 0; k < 20; ++k) {
    const absl::CivilDay day = absl::CivilDay(2026, 1, 1) + static_cast<int>(random() % 800);
    ExpectAgreement(loaded, model, odd, all, day, 6);
  }
  StatusIndex::Found found;
  std::vector<absl::string_view> unusual = {"SHORT", OrgCode(0)};
  ASSERT_NE(loaded.Read(unusual, absl::CivilDay(2026, 6, 1), &found), nullptr);
  EXPECT_TRUE(found.needs_storage);
  // Applying groups after the load goes on as after a fill.
  std::vector<StatusIndex::Record> later = {
      {OrgCode(5000), model[OrgCode(5000)] = RandomRecord(random, false)}};
  loaded.Apply(later, View(7));
  all.push_back(OrgCode(5000));
  ExpectAgreement(loaded, model, odd, all, absl::CivilDay(2026, 6, 1), 7);

  const std::string bytes = ReadAll(path);
  ASSERT_GT(bytes.size(), 3000u * 16);
  auto refused = [&](const std::string& file, uint64_t sequence,
                     std::shared_ptr<const ChangeLog::ReadView> view) {
    StatusIndex other;
    absl::Status status = other.Load(file, sequence, std::move(view));
    EXPECT_FALSE(other.figures().ready);
    EXPECT_EQ(other.MemoryBytes(), StatusIndex().MemoryBytes());
    return status;
  };
  EXPECT_EQ(refused(path + "-absent", 41, View(6)).code(), absl::StatusCode::kNotFound);
  absl::Status moved_on = refused(path, 42, View(6));
  EXPECT_EQ(moved_on.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(moved_on.message(), path +
                                    " was saved at write 41 with the log at size 6; the "
                                    "database is at write 42 with the log at size 6");
  EXPECT_EQ(refused(path, 41, View(7)).code(), absl::StatusCode::kFailedPrecondition);
  auto other_root = std::make_shared<ChangeLog::ReadView>(*View(6));
  other_root->head.set_root_hash(std::string(32, 'r'));
  EXPECT_EQ(refused(path, 41, other_root).code(), absl::StatusCode::kFailedPrecondition);
  // A byte flipped anywhere past the stamp (in the counts, a code, the table, the arena, the
  // hash), the file cut short or lengthened: damaged.
  const std::string damaged = path + "-damaged";
  for (size_t at :
       {size_t{60}, size_t{100}, bytes.size() / 3, bytes.size() - 40, bytes.size() - 1}) {
    std::string copy = bytes;
    copy[at] ^= 0x10;
    std::ofstream(damaged, std::ios::binary | std::ios::trunc) << copy;
    absl::Status status = refused(damaged, 41, View(6));
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << at << ": " << status;
  }
  for (const std::string& copy : {bytes.substr(0, bytes.size() - 1), bytes + "x"}) {
    std::ofstream(damaged, std::ios::binary | std::ios::trunc) << copy;
    EXPECT_EQ(refused(damaged, 41, View(6)).code(), absl::StatusCode::kDataLoss);
  }
  // Refused, an index still fills from storage.
  StatusIndex filled;
  EXPECT_FALSE(filled.Load(damaged, 41, View(6)).ok());
  filled.StartFill(store_.get(), View(6));
  ASSERT_TRUE(filled.AwaitReady(absl::Seconds(30)));
  EXPECT_EQ(filled.figures().subjects, 3000u);
  EXPECT_FALSE(filled.figures().loaded);
}

// ---- a Registry driven through the listing procedure ----

class StatusIndexRegistryTest : public RegistryFixture {
 protected:
  std::string index_file() const { return dir_.path() + "/status-index"; }
  StatusIndexRegistryTest() {
    // The default procedure (proposals, notice, objections, repair), with repair allowed after
    // 10 days of publication so that the walk reaches it.
    rules_ = ProcedureRules();
    RuleOverride early_repair;
    early_repair.min_publication_days = 10;
    rules_.overrides.push_back(early_repair);
    Reopen();
    for (int n = 0; n < 6; ++n) codes_.push_back(OrgCode(n));
    codes_.push_back(kPersonCode);
    codes_.push_back(std::string("11010119900307003") +
                     ResidentIdCheckCharacter("11010119900307003"));
  }

  // The caller's view of the model: for each entry in force on the registry's today (read back
  // with GetEntry, the storage's whole entries), its list flag and measures for the caller.
  struct Model {
    bool red = false, black = false, watch = false;
    std::map<std::string, std::vector<uint64_t>> measures;  // code -> entry ids
    bool operator==(const Model&) const = default;
  };

  Model Expect(const std::string& code, const Caller& caller, const std::string& today) {
    Model model;
    for (uint64_t id : ids_) {
      v1::GetEntryRequest request;
      request.set_entry_id(id);
      absl::StatusOr<v1::GetEntryResponse> got = registry_->GetEntry(auditor_, request);
      EXPECT_TRUE(got.ok()) << got.status();
      const v1::Entry& entry = got->entry();
      if (entry.subject().code() != code || !InForceOn(entry, today)) continue;
      model.red |= entry.list() == v1::LIST_KIND_RED;
      model.black |= entry.list() == v1::LIST_KIND_BLACK;
      model.watch |= entry.list() == v1::LIST_KIND_WATCH;
      for (const std::string& measure : entry.measure_codes()) {
        for (const v1::Measure& m : TestCatalogue()) {
          if (m.code() != measure) continue;
          const auto& departments = m.departments();
          if (std::find(departments.begin(), departments.end(), caller.department) !=
              departments.end()) {
            model.measures[measure].push_back(id);
          }
        }
      }
    }
    return model;
  }

  static Model Seen(const v1::CreditStatus& status) {
    Model model;
    model.red = status.on_red_list();
    model.black = status.on_black_list();
    model.watch = status.on_watch_list();
    for (const v1::ApplicableMeasure& m : status.measures()) {
      model.measures[m.measure().code()] = {m.entry_ids().begin(), m.entry_ids().end()};
    }
    return model;
  }

  // Every subject's BASIC answer (the index) equals the model, the FULL answer (storage) and the
  // batch answer, with the same change sequence.
  void ExpectAllAgree(const std::string& when) {
    for (const Caller* caller : {&querier_, &builder_, &auditor_}) {
      v1::BatchGetCreditStatusRequest batch;
      batch.set_purpose("抽查");
      for (const std::string& code : codes_) batch.add_subject_codes(code);
      absl::StatusOr<v1::BatchGetCreditStatusResponse> batched =
          registry_->BatchGetCreditStatus(*caller, batch);
      ASSERT_TRUE(batched.ok()) << batched.status();
      for (size_t i = 0; i < codes_.size(); ++i) {
        v1::GetCreditStatusRequest request;
        request.set_subject_code(codes_[i]);
        request.set_purpose("抽查");
        absl::StatusOr<v1::GetCreditStatusResponse> basic =
            registry_->GetCreditStatus(*caller, request);
        request.set_view(v1::STATUS_VIEW_FULL);
        absl::StatusOr<v1::GetCreditStatusResponse> full =
            registry_->GetCreditStatus(*caller, request);
        ASSERT_TRUE(basic.ok()) << basic.status();
        ASSERT_TRUE(full.ok()) << full.status();
        const Model want = Expect(codes_[i], *caller, basic->status().as_of_date());
        if (want.red || want.black || want.watch) ++listed_seen_;
        if (!want.measures.empty()) ++measures_seen_;
        EXPECT_TRUE(Seen(basic->status()) == want) << when << ": " << codes_[i];
        EXPECT_TRUE(Seen(full->status()) == want) << when << ": " << codes_[i];
        EXPECT_TRUE(Seen(batched->results(static_cast<int>(i)).status()) == want)
            << when << ": " << codes_[i];
        EXPECT_EQ(basic->change_sequence(), full->change_sequence()) << when;
        EXPECT_EQ(basic->tree_head().tree_size(), full->tree_head().tree_size()) << when;
      }
    }
  }

  v1::Entry RandomEntry(std::mt19937& random) {
    v1::Entry entry = BlackEntry(codes_[random() % codes_.size()], static_cast<int>(++n_));
    const v1::ListKind lists[] = {v1::LIST_KIND_RED, v1::LIST_KIND_BLACK, v1::LIST_KIND_WATCH};
    entry.set_list(lists[random() % 3]);
    entry.clear_measure_codes();
    if (entry.list() == v1::LIST_KIND_RED) {
      entry.clear_severity();
      entry.add_measure_codes(random() % 2 ? "I-GREEN-CHANNEL" : "I-FUNDING-PRIORITY");
      if (random() % 2) entry.add_measure_codes("I-FUNDING-PRIORITY");
    } else {
      const char* punishments[] = {"P-PROCUREMENT", "P-BIDDING", "P-SUBSIDY"};
      entry.add_measure_codes(punishments[random() % 3]);
      if (random() % 2) entry.add_measure_codes(punishments[random() % 3]);
    }
    const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), absl::FixedTimeZone(8 * 3600));
    entry.set_decision_date(FormatDate(today - static_cast<int>(random() % 30)));
    entry.set_effective_date(FormatDate(today + static_cast<int>(random() % 10)));
    entry.set_expiry_date(FormatDate(today + 20 + static_cast<int>(random() % 200)));
    return entry;
  }

  // One random step; failures (a transition the entry's state does not allow) change nothing.
  void Step(std::mt19937& random) {
    const uint64_t id = ids_.empty() ? 0 : ids_[random() % ids_.size()];
    const std::string request_id = "step-" + std::to_string(++n_);
    switch (random() % 10) {
      case 0:
      case 1: {
        absl::StatusOr<v1::RecordEntryResponse> r = Record(RandomEntry(random), request_id);
        if (r.ok()) ids_.push_back(r->entry().id());
        Count("record", r.status());
        break;
      }
      case 2: {
        v1::ApproveEntryRequest r;
        r.set_entry_id(id);
        r.set_request_id(request_id);
        Count("approve", registry_->ApproveEntry(approver_, r).status());
        break;
      }
      case 3: {
        v1::FileObjectionRequest r;
        r.set_entry_id(id);
        r.set_grounds("已缴清");
        r.set_request_id(request_id);
        Count("object", registry_->FileObjection(recorder_, r).status());
        break;
      }
      case 4: {
        v1::ResolveObjectionRequest r;
        r.set_entry_id(id);
        r.set_resolution(random() % 2 ? v1::ResolveObjectionRequest::RESOLUTION_UPHOLD
                                      : v1::ResolveObjectionRequest::RESOLUTION_DISMISS);
        r.set_reason("复核");
        r.set_request_id(request_id);
        Count("resolve", registry_->ResolveObjection(approver_, r).status());
        break;
      }
      case 5: {
        v1::ApplyForRepairRequest r;
        r.set_entry_id(id);
        r.set_evidence("已整改");
        r.set_commitment("承诺守信");
        r.set_request_id(request_id);
        Count("apply for repair", registry_->ApplyForRepair(recorder_, r).status());
        v1::ApproveRepairRequest a;
        a.set_entry_id(id);
        a.set_request_id(request_id + "-ok");
        Count("approve repair", registry_->ApproveRepair(approver_, a).status());
        break;
      }
      case 6: {
        Count("revoke", Remove(id, v1::REMOVAL_KIND_REVOKE, request_id).status());
        break;
      }
      case 7: {  // a correction: dates, measures, and sometimes the subject itself
        v1::GetEntryRequest get;
        get.set_entry_id(id);
        absl::StatusOr<v1::GetEntryResponse> got = registry_->GetEntry(auditor_, get);
        if (!got.ok()) break;
        v1::Entry fresh = RandomEntry(random);
        v1::Entry entry = got->entry();
        entry.set_expiry_date(fresh.expiry_date());
        if (entry.list() == fresh.list()) *entry.mutable_measure_codes() = fresh.measure_codes();
        if (random() % 3 == 0) entry.mutable_subject()->set_code(fresh.subject().code());
        v1::UpdateEntryRequest r;
        *r.mutable_entry() = entry;
        r.set_reason("更正");
        r.set_request_id(request_id);
        Count(r.entry().subject().code() == got->entry().subject().code() ? "correct"
                                                                          : "move to a subject",
              registry_->UpdateEntry(recorder_, r).status());
        break;
      }
      default: {
        clock_.Advance(absl::Hours(24 * (1 + random() % 20)));
        absl::StatusOr<uint32_t> made = registry_->RunDueTransitions();
        ASSERT_TRUE(made.ok()) << made.status();
        if (*made > 0) Count("time-driven", absl::OkStatus());
        break;
      }
    }
  }

  void Count(const std::string& step, const absl::Status& status) {
    if (status.ok()) ++made_[step];
  }

  std::vector<std::string> codes_;
  std::vector<uint64_t> ids_;
  int n_ = 0;
  std::map<std::string, int> made_;  // steps that changed something, by kind
  int listed_seen_ = 0;              // answers with a list flag
  int measures_seen_ = 0;            // answers with measures for the caller
  Caller approver_{"approver", "市中小企业局", static_cast<uint32_t>(Role::kApprover), true};
};

TEST_F(StatusIndexRegistryTest, RandomProcedureStepsKeepTheIndexEqualToStorageAndTheModel) {
  std::mt19937 random(31);
  ASSERT_TRUE(registry_->AwaitStatusIndex(absl::Seconds(30)));
  for (int step = 0; step < 240; ++step) {
    Step(random);
    ExpectAllAgree("after step " + std::to_string(step));
    if (HasFatalFailure()) return;
    if (step == 80 || step == 160) {
      // A clean close saves the index; the open loads it, ready at once, and removes the file
      // (saved again at the next close).
      registry_.reset();
      ASSERT_TRUE(fs::exists(index_file()));
      if (step == 160) fs::copy_file(index_file(), index_file() + "-160");
      Open();
      EXPECT_TRUE(registry_->StatusIndexFigures().loaded);
      EXPECT_FALSE(fs::exists(index_file()));
      ExpectAllAgree("after reopening at step " + std::to_string(step));
    }
    if (step == 200) {
      // As after a crash: the file of an earlier close lies there, and changes were made since.
      registry_.reset();
      fs::rename(index_file() + "-160", index_file());
      std::ofstream(index_file() + ".tmp") << "a save cut short";
      Open();
      EXPECT_FALSE(fs::exists(index_file() + ".tmp"));
      ASSERT_TRUE(registry_->AwaitStatusIndex(absl::Seconds(30)));
      EXPECT_FALSE(registry_->StatusIndexFigures().loaded);
      EXPECT_FALSE(fs::exists(index_file()));
      ExpectAllAgree("after reopening with a stale file");
    }
  }
  // The walk went through every kind of change, and status answers showed listings.
  for (const char* step :
       {"record", "approve", "object", "resolve", "apply for repair", "approve repair", "revoke",
        "correct", "move to a subject", "time-driven"}) {
    EXPECT_GE(made_[step], 1) << step;
  }
  EXPECT_GT(listed_seen_, 100);
  EXPECT_GT(measures_seen_, 50);
  const StatusIndex::Figures figures = registry_->StatusIndexFigures();
  EXPECT_TRUE(figures.ready);
  EXPECT_GE(figures.subjects, 3u);
}

// The block cache gets what the memory budget leaves after the memtables (256 MiB by default),
// the status index (here, with no subject yet, its first table: 16 KiB) and 192 MiB, between
// 32 MiB and its configured 256 MiB.
TEST_F(RegistryFixture, TheBlockCacheGetsWhatTheMemoryBudgetLeaves) {
  const uint64_t kMiB = 1 << 20;
  const uint64_t index_bytes = 16 * 4096;  // an empty index: 16 shards of one page each
  struct Case {
    uint64_t budget;
    uint64_t want;
    bool less_table_readers;  // the files' filters and indexes outside the cache count too
  };
  for (const Case& c :
       std::vector<Case>{{0, 256 * kMiB, false},            // no budget: as configured
                         {1024 * kMiB, 256 * kMiB, false},  // room: as configured
                         {700 * kMiB, 700 * kMiB - 256 * kMiB - 224 * kMiB - index_bytes, true},
                         {300 * kMiB, 32 * kMiB, false}}) {  // none left: the least
    registry_.reset();
    RegistryOptions options;
    options.memory_budget_bytes = c.budget;
    Open(options);
    ASSERT_TRUE(registry_->AwaitStatusIndex(absl::Seconds(30)));
    const Store::Figures figures = registry_->StoreFigures();
    if (c.less_table_readers) {
      EXPECT_GT(figures.table_readers_bytes, 0u);
    }
    EXPECT_EQ(figures.block_cache_capacity_bytes,
              c.want - (c.less_table_readers ? figures.table_readers_bytes : 0))
        << c.budget;
  }
}

}  // namespace
}  // namespace credit::testing
