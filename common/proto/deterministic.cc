#include "common/proto/deterministic.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace credit {

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  // Sized first, then written in place: one allocation.
  std::string bytes(message.ByteSizeLong(), '\0');
  {
    // The stream writes its last bytes when it is destroyed: before `bytes` is returned.
    google::protobuf::io::ArrayOutputStream stream(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
  }
  return bytes;
}

}  // namespace credit
