// Deterministic protobuf serialisation: the bytes that are hashed, signed over or stored, so the
// same message always yields the same bytes within one protobuf version. Thread-safe.
#ifndef CREDIT_COMMON_PROTO_DETERMINISTIC_H_
#define CREDIT_COMMON_PROTO_DETERMINISTIC_H_

#include <string>

#include "google/protobuf/message.h"

namespace credit {

std::string SerializeDeterministic(const google::protobuf::Message& message);

}  // namespace credit

#endif  // CREDIT_COMMON_PROTO_DETERMINISTIC_H_
