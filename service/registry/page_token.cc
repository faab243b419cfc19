#include "service/registry/page_token.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/storage/keys.h"

namespace credit {
namespace {

constexpr char kTokenVersion = 1;

absl::Status BadToken() {
  return absl::InvalidArgumentError(
      "page_token: not a token this call issued for these filters; want the next_page_token of "
      "the previous page, with the same filters");
}

}  // namespace

uint64_t FilterFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> filters(request.New());
  filters->CopyFrom(request);
  const auto* descriptor = filters->GetDescriptor();
  const auto* reflection = filters->GetReflection();
  for (const char* name : {"page_size", "page_token"}) {
    if (const auto* field = descriptor->FindFieldByName(name)) {
      reflection->ClearField(filters.get(), field);
    }
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    filters->SerializeToCodedStream(&coded);
  }
  Hash256 hash = Sha256({descriptor->full_name(), bytes});
  return keys::ReadU64(AsBytes(hash));
}

std::string EncodePageToken(uint64_t fingerprint, absl::string_view position) {
  std::string raw = absl::StrCat(absl::string_view(&kTokenVersion, 1), keys::U64(fingerprint),
                                 position);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, uint64_t fingerprint) {
  if (token.empty()) return std::string();
  std::string raw;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 9 ||
      raw[0] != kTokenVersion || keys::ReadU64(absl::string_view(raw).substr(1)) != fingerprint) {
    return BadToken();
  }
  return raw.substr(9);
}

}  // namespace credit
