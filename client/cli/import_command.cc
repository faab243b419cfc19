// creditctl entry import FILE [--dry-run]: a deciding authority's case-system export, streamed
// into ImportEntries 1000 rows at a time.
//
// The file is CSV (a header row naming the columns, RFC 4180 quoting, fields may span lines) or
// JSON Lines (one object per line), UTF-8 with or without a byte-order mark; the first byte that
// is not white space tells which ('{': JSON Lines). Column names and JSON keys are the long flags
// of `entry record` without their dashes; `measures` holds codes separated by ';' (in JSON also
// an array). Each chunk of rows is first checked by the server (validate_only), which names every
// row it would refuse; the rest are imported in one call whose request id is derived from those
// rows' line numbers and contents. A row whose decision is already held by an entry with exactly
// its fields was imported before and is counted, not refused: running the same file again adds
// nothing.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "common/proto/deterministic.h"
#include "common/status/error_details.h"
#include "common/text/utf8.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage: creditctl entry import FILE [--dry-run]\n"
    "  FILE: CSV with a header row, or JSON Lines; UTF-8. Columns (keys): subject, name, list,\n"
    "  severity, category, facts, basis, authority, document, decided, effective, expires,\n"
    "  measures (codes separated by ';'), and optionally kind, publicity-start, publicity-end.\n"
    "  Imports the valid rows, reports each refused one with its line; exits 13 if any was.\n";

constexpr size_t kChunkRows = 1000;
// How much of the file is checked for UTF-8 before anything is imported.
constexpr size_t kEncodingSample = 64 << 10;

const std::vector<std::string>& RequiredColumns() {
  static const std::vector<std::string> columns = {"subject", "name",      "list",      "category",
                                                   "facts",   "basis",     "authority", "document",
                                                   "decided", "effective", "expires"};
  return columns;
}

// One row of the file: where it starts, and its fields by column name.
struct Row {
  uint64_t line = 0;
  std::map<std::string, std::string> fields;
};

// Reads rows one at a time from CSV or JSON Lines.
class RowReader {
 public:
  explicit RowReader(std::istream& in) : in_(in) {}

  // Reads the header (CSV) and decides the format. INVALID_ARGUMENT for a file that is not
  // UTF-8, a missing or unknown column.
  absl::Status Start() {
    std::string sample(kEncodingSample, '\0');
    in_.read(sample.data(), static_cast<std::streamsize>(sample.size()));
    sample.resize(static_cast<size_t>(in_.gcount()));
    in_.clear();
    in_.seekg(0);
    if (absl::StartsWith(sample, "\xEF\xBB\xBF")) in_.seekg(3);
    // Whole lines only: the sample may end inside a character.
    absl::string_view whole = sample;
    if (sample.size() == kEncodingSample) whole = whole.substr(0, whole.rfind('\n') + 1);
    if (!Utf8Length(whole).has_value()) {
      return absl::InvalidArgumentError(
          "the file is not UTF-8 (a GBK export? save it as UTF-8 and import again)");
    }
    size_t first =
        sample.find_first_not_of(" \t\r\n", absl::StartsWith(sample, "\xEF\xBB\xBF") ? 3 : 0);
    json_ = first != std::string::npos && sample[first] == '{';
    if (json_) return absl::OkStatus();
    std::vector<std::string> header;
    if (!NextCsvRecord(&header)) return absl::InvalidArgumentError("the file is empty");
    for (std::string& name : header) {
      name = std::string(absl::StripAsciiWhitespace(name));
      if (!EntryFieldFlags().contains("--" + name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line 1: unknown column \"", name, "\", want the long flags of `entry ",
                         "record` without dashes (subject, name, list, ...)"));
      }
    }
    for (const std::string& required : RequiredColumns()) {
      if (std::find(header.begin(), header.end(), required) == header.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line 1: the header lacks the column \"", required, "\""));
      }
    }
    header_ = std::move(header);
    return absl::OkStatus();
  }

  // The next row; false at the end of the file. A row that cannot be read becomes one with the
  // reason in `error`.
  bool Next(Row* row, std::string* error) {
    row->fields.clear();
    error->clear();
    return json_ ? NextJson(row, error) : NextCsv(row, error);
  }

 private:
  bool NextCsv(Row* row, std::string* error) {
    std::vector<std::string> values;
    do {
      row->line = line_ + 1;
      if (!NextCsvRecord(&values)) return false;
    } while (values.size() == 1 && values[0].empty());  // blank lines
    if (values.size() != header_.size()) {
      *error = absl::StrCat("has ", values.size(), " fields, the header ", header_.size());
      return true;
    }
    for (size_t i = 0; i < values.size(); ++i) row->fields[header_[i]] = std::move(values[i]);
    return true;
  }

  // One CSV record (RFC 4180: quoted fields may hold commas, quotes as "" and line breaks).
  bool NextCsvRecord(std::vector<std::string>* values) {
    values->clear();
    std::string line;
    if (!std::getline(in_, line)) return false;
    ++line_;
    std::string field;
    bool quoted = false;
    size_t i = 0;
    while (true) {
      if (i == line.size()) {
        if (quoted) {  // the field goes on on the next line
          std::string more;
          if (!std::getline(in_, more)) break;
          ++line_;
          field += '\n';
          line = std::move(more);
          i = 0;
          continue;
        }
        break;
      }
      char c = line[i++];
      if (quoted) {
        if (c != '"') {
          field += c;
        } else if (i < line.size() && line[i] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        values->push_back(std::move(field));
        field.clear();
      } else if (c != '\r' || i != line.size()) {
        field += c;
      }
    }
    values->push_back(std::move(field));
    return true;
  }

  bool NextJson(Row* row, std::string* error) {
    std::string line;
    do {
      if (!std::getline(in_, line)) return false;
      row->line = ++line_;
    } while (absl::StripAsciiWhitespace(line).empty());
    google::protobuf::Struct object;
    auto parsed = google::protobuf::util::JsonStringToMessage(line, &object);
    if (!parsed.ok()) {
      *error = absl::StrCat("not a JSON object: ", parsed.ToString());
      return true;
    }
    for (const auto& [key, value] : object.fields()) {
      if (!EntryFieldFlags().contains("--" + key)) {
        *error = absl::StrCat("unknown key \"", key, "\"");
        return true;
      }
      if (value.kind_case() == google::protobuf::Value::kStringValue) {
        row->fields[key] = value.string_value();
      } else if (key == "measures" && value.kind_case() == google::protobuf::Value::kListValue) {
        std::vector<std::string> codes;
        for (const auto& code : value.list_value().values()) codes.push_back(code.string_value());
        row->fields[key] = absl::StrJoin(codes, ";");
      } else if (value.kind_case() != google::protobuf::Value::kNullValue) {
        *error = absl::StrCat(key, ": want a string");
        return true;
      }
    }
    return true;
  }

  std::istream& in_;
  bool json_ = false;
  std::vector<std::string> header_;
  uint64_t line_ = 0;
};

// The entry a row stands for; INVALID_ARGUMENT naming the column otherwise.
absl::Status ToEntry(const Row& row, v1::Entry* entry) {
  std::vector<std::string> argv;
  for (const auto& [column, value] : row.fields) {
    if (value.empty()) continue;
    argv.push_back("--" + column);
    argv.push_back(column == "measures" ? absl::StrReplaceAll(value, {{";", ","}}) : value);
  }
  absl::StatusOr<Args> args = Args::Parse(argv, EntryFieldFlags());
  if (!args.ok()) return args.status();
  return ApplyFieldFlags(*args, entry);
}

// "entries[3].list: ..." or "--list: ..." as the row's report says it: "list: ...".
std::string RowMessage(absl::string_view message) {
  if (absl::StartsWith(message, "entries[")) {
    size_t end = message.find(']');
    if (end != absl::string_view::npos) {
      message.remove_prefix(end + 1);
      if (absl::StartsWith(message, ".")) message.remove_prefix(1);
      if (absl::StartsWith(message, ": ")) message.remove_prefix(2);
    }
  }
  if (absl::StartsWith(message, "--")) message.remove_prefix(2);
  return std::string(message);
}

struct Tally {
  uint64_t rows = 0;
  uint64_t imported = 0;
  uint64_t already = 0;
  uint64_t refused = 0;
  google::protobuf::Struct report;  // -o json: the refused rows
};

class Importer {
 public:
  Importer(Client& client, bool dry_run, bool json)
      : client_(client), dry_run_(dry_run), json_(json) {}

  // Refuses the row at `line`; reported with the chunk's other refusals, in line order.
  void Refuse(uint64_t line, absl::string_view message) {
    refusals_.emplace_back(line, std::string(message));
  }

  void Add(uint64_t line, v1::Entry entry) {
    lines_.push_back(line);
    entries_.push_back(std::move(entry));
  }
  // A chunk is 1000 rows, refused ones included: memory stays bounded whatever the file holds.
  bool Full() const { return entries_.size() + refusals_.size() >= kChunkRows; }

  // A message that names another row of the request ("entries[4] of this request") names its
  // line instead.
  std::string InFileTerms(std::string message) const {
    const std::string kOpen = "entries[", kClose = "] of this request";
    size_t at = message.find(kOpen);
    size_t end = message.find(kClose, at);
    if (at == std::string::npos || end == std::string::npos) return message;
    size_t index = 0;
    if (!absl::SimpleAtoi(message.substr(at + kOpen.size(), end - at - kOpen.size()), &index) ||
        index >= lines_.size()) {
      return message;
    }
    return absl::StrCat(message.substr(0, at), "line ", lines_[index],
                        message.substr(end + kClose.size()));
  }

  // Checks, then imports, the rows gathered; then reports the chunk's refused rows.
  absl::Status Flush() {
    absl::Status status = ImportChunk();
    std::sort(refusals_.begin(), refusals_.end());
    for (const auto& [line, message] : refusals_) {
      ++tally_.refused;
      if (json_) {
        auto* problems = (*tally_.report.mutable_fields())["refused"].mutable_list_value();
        google::protobuf::Struct* item = problems->add_values()->mutable_struct_value();
        (*item->mutable_fields())["line"].set_number_value(static_cast<double>(line));
        (*item->mutable_fields())["reason"].set_string_value(message);
      }
      std::cerr << "line " << line << ": " << message << "\n";
    }
    refusals_.clear();
    return status;
  }

  Tally& tally() { return tally_; }

 private:
  absl::Status ImportChunk() {
    if (entries_.empty()) return absl::OkStatus();
    v1::ImportEntriesRequest check;
    check.set_validate_only(true);
    for (const v1::Entry& e : entries_) *check.add_entries() = e;
    absl::StatusOr<v1::ImportEntriesResponse> checked = client_.ImportEntries(check);
    if (!checked.ok()) return checked.status();
    std::vector<bool> keep(entries_.size(), true);
    for (const v1::EntryProblem& problem : checked->problems()) {
      size_t i = static_cast<size_t>(problem.index());
      if (i >= keep.size()) continue;
      keep[i] = false;
      if (problem.same_input()) {
        ++tally_.already;
      } else {
        Refuse(lines_[i], InFileTerms(RowMessage(problem.error().message())));
      }
    }
    v1::ImportEntriesRequest request;
    std::vector<uint64_t> kept_lines;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (!keep[i]) continue;
      kept_lines.push_back(lines_[i]);
      *request.add_entries() = std::move(entries_[i]);
    }
    entries_.clear();
    lines_.clear();
    if (request.entries_size() == 0) return absl::OkStatus();
    if (dry_run_) {
      tally_.imported += request.entries_size();
      return absl::OkStatus();
    }
    // The same rows of the same file make the same id: a rerun after a lost answer is answered
    // from the server's record of the first call.
    std::string rows;
    for (int i = 0; i < request.entries_size(); ++i) {
      absl::StrAppend(&rows, kept_lines[i], "\n", SerializeDeterministic(request.entries(i)));
    }
    request.set_request_id(absl::StrCat("import-", ToHex(AsBytes(Sha256({rows}))).substr(0, 40)));
    absl::StatusOr<v1::ImportEntriesResponse> imported = client_.ImportEntries(request);
    if (!imported.ok()) return imported.status();
    tally_.imported += imported->count();
    return absl::OkStatus();
  }

  Client& client_;
  const bool dry_run_;
  const bool json_;
  std::vector<uint64_t> lines_;
  std::vector<v1::Entry> entries_;
  std::vector<std::pair<uint64_t, std::string>> refusals_;
  Tally tally_;
};

void ShowProgress(const Tally& tally) {
  std::cerr << "\r" << tally.rows << " rows read, " << tally.imported << " imported, "
            << tally.already << " imported before, " << tally.refused << " refused" << std::flush;
}

}  // namespace

int RunImport(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {}, {"--dry-run"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (args->positionals().size() != 1) return UsageError("entry import: want one FILE", kUsage);
  const std::string& path = args->positionals()[0];
  std::ifstream file(path, std::ios::binary);
  if (!file) return Fail(absl::NotFoundError(absl::StrCat(path, ": cannot be read")));
  RowReader reader(file);
  if (absl::Status started = reader.Start(); !started.ok()) {
    return Fail(WithMessagePrefix(started, absl::StrCat(path, ": ")));
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  const bool dry_run = args->Has("--dry-run");
  Importer importer(**client, dry_run, context.format == Format::kJson);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  Row row;
  std::string error;
  while (reader.Next(&row, &error)) {
    ++importer.tally().rows;
    v1::Entry entry;
    absl::Status converted =
        error.empty() ? ToEntry(row, &entry) : absl::InvalidArgumentError(error);
    if (converted.ok()) {
      importer.Add(row.line, std::move(entry));
    } else {
      importer.Refuse(row.line, RowMessage(converted.message()));
    }
    if (!importer.Full()) continue;
    if (absl::Status s = importer.Flush(); !s.ok()) return Fail(s);
    if (terminal) ShowProgress(importer.tally());
  }
  if (absl::Status s = importer.Flush(); !s.ok()) return Fail(s);
  if (terminal) {
    ShowProgress(importer.tally());
    std::cerr << "\n";
  }
  Tally& tally = importer.tally();
  if (context.format == Format::kJson) {
    auto& fields = *tally.report.mutable_fields();
    fields["rows"].set_number_value(static_cast<double>(tally.rows));
    fields[dry_run ? "wouldImport" : "imported"].set_number_value(
        static_cast<double>(tally.imported));
    fields["importedBefore"].set_number_value(static_cast<double>(tally.already));
    if (fields.find("refused") == fields.end()) fields["refused"].mutable_list_value();
    PrintJson(tally.report);
  } else {
    std::cout << tally.rows << " rows: " << tally.imported
              << (dry_run ? " would be imported (dry run: nothing written), " : " imported, ")
              << tally.already << " imported before, " << tally.refused << " refused\n";
  }
  return tally.refused == 0 ? 0 : ExitCodeFor(absl::InvalidArgumentError(""));
}

}  // namespace credit::cli
