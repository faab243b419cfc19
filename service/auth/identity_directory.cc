#include "service/auth/identity_directory.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"

namespace credit {
namespace {

// How many certificates' common names are remembered; past it the memory starts afresh.
constexpr size_t kMaxRememberedCertificates = 4096;

}  // namespace

absl::StatusOr<std::string> CommonNameOf(absl::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) return absl::UnauthenticatedError("the client certificate does not parse");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  int first = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (first < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, first) >= 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("the client certificate's subject has ", first < 0 ? "no" : "more than one",
                     " common name (CN), want exactly one: the identity it names"));
  }
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, first));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length <= 0) {
    return absl::UnauthenticatedError(
        "the client certificate's common name is empty or unreadable");
  }
  std::string name(reinterpret_cast<char*>(utf8), length);
  OPENSSL_free(utf8);
  return name;
}

IdentityDirectory::IdentityDirectory(std::map<std::string, Caller> identities)
    : identities_(std::move(identities)) {}

absl::StatusOr<Caller> IdentityDirectory::Resolve(const grpc::AuthContext* context) const {
  if (context == nullptr || !context->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a verified client certificate is required");
  }
  // gRPC names only the first common name of a certificate: the certificate itself says whether
  // it has exactly one. Each distinct certificate is parsed once.
  std::vector<grpc::string_ref> pems = context->FindPropertyValues("x509_pem_cert");
  if (pems.size() != 1) {
    return absl::UnauthenticatedError("a verified client certificate is required");
  }
  absl::string_view pem(pems[0].data(), pems[0].size());
  absl::MutexLock lock(&mu_);
  auto known = names_.find(pem);
  if (known == names_.end()) {
    if (names_.size() >= kMaxRememberedCertificates) names_.clear();
    known = names_.emplace(std::string(pem), CommonNameOf(pem)).first;
  }
  if (!known->second.ok()) return known->second.status();
  const std::string& name = *known->second;
  auto it = identities_.find(name);
  if (it == identities_.end()) {
    return WithErrorInfo(absl::PermissionDeniedError(
                             absl::StrCat("identity ", name, " is not configured on this server")),
                         reason::kUnknownIdentity, {{"identity", name}});
  }
  return it->second;
}

void IdentityDirectory::Replace(std::map<std::string, Caller> identities) {
  absl::MutexLock lock(&mu_);
  identities_ = std::move(identities);
}

}  // namespace credit
