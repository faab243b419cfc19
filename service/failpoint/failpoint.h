// Fail points for the crash harness (tests/crash/): named places where creditd kills itself with
// SIGKILL — as abrupt as a power cut for the process, no destructor runs — when its environment
// asks for it:
//
//   CREDITD_FAILPOINT=NAME[:N]   die the N-th time (default: the first) NAME is reached
//
// Without the variable a fail point costs one load of a bool. Thread-safe.
#ifndef CREDIT_SERVICE_FAILPOINT_FAILPOINT_H_
#define CREDIT_SERVICE_FAILPOINT_FAILPOINT_H_

namespace credit {

// The fail points, in the order a mutation reaches them.
inline constexpr char kFailBeforeSigning[] = "before-signing";   // record built, head not signed
inline constexpr char kFailBeforeWrite[] = "before-write";       // batch complete, not written
inline constexpr char kFailAfterWrite[] = "after-write";         // batch durable, not answered
inline constexpr char kFailQueryLogWrite[] = "query-log-write";  // query-log group not written

// Kills the process if the environment names `name` and this is the chosen hit.
void FailPoint(const char* name);

}  // namespace credit

#endif  // CREDIT_SERVICE_FAILPOINT_FAILPOINT_H_
