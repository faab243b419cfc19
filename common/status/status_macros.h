// Early-return helpers for absl::Status, which Abseil 20220623 does not ship.
#ifndef CREDIT_COMMON_STATUS_STATUS_MACROS_H_
#define CREDIT_COMMON_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CREDIT_CONCAT_INNER_(a, b) a##b
#define CREDIT_CONCAT_(a, b) CREDIT_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                           \
  do {                                                  \
    if (absl::Status _status = (expr); !_status.ok()) { \
      return _status;                                   \
    }                                                   \
  } while (0)

// `lhs = value of expr`, or returns the error of the StatusOr `expr`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(CREDIT_CONCAT_(_status_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // CREDIT_COMMON_STATUS_STATUS_MACROS_H_
