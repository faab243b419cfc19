// Reading a few fields of a serialised message straight from its wire bytes, without parsing it
// into a message: for hot or bulk paths that need two or three fields of a large message.
#ifndef CREDIT_COMMON_PROTO_WIRE_FIELDS_H_
#define CREDIT_COMMON_PROTO_WIRE_FIELDS_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace credit {

// Reads the fields of `message` (one level): `read(tag, in)` reads the field whose tag it was
// given and returns whether it could, or returns nullopt to have the field skipped. False when
// the message is not well formed (a bad tag, a truncated field).
template <typename Read>
bool WalkFields(absl::string_view message, Read read) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                                            static_cast<int>(message.size()));
  while (uint32_t tag = in.ReadTag()) {
    std::optional<bool> taken = read(tag, in);
    if (taken.has_value() ? !*taken
                          : !google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();  // the end, not a zero tag
}

// The bytes of the length-delimited field `in` stands at (after its tag), inside `message`.
inline bool ReadDelimited(absl::string_view message, google::protobuf::io::CodedInputStream& in,
                          absl::string_view* out) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length) || length > message.size() - in.CurrentPosition()) return false;
  *out = message.substr(in.CurrentPosition(), length);
  return in.Skip(static_cast<int>(length));
}

}  // namespace credit

#endif  // CREDIT_COMMON_PROTO_WIRE_FIELDS_H_
