#include "transform/actions/encrypt_deterministic.h"

#include "crypto/mac.h"
#include "transform/actions/reversible.h"
#include "transform/formats.h"

namespace maskproxy::transform {

Result<std::unique_ptr<Action>> EncryptDeterministicAction::Create(ActionOptions& o, const ActionEnv& env) {
  std::unique_ptr<EncryptDeterministicAction> a(new EncryptDeterministicAction());
  auto key = FindKey(o, env, &a->key_name_);
  if (!key.ok()) return key.error();
  auto domain = o.TakeString("domain", env.field_path);
  if (!domain.ok()) return domain.error();
  for (const auto& [version, material] : (*key)->versions) {
    auto sub = crypto::HkdfSha256(material, "maskproxy/encrypt/v1", "encrypt_deterministic", 64);
    if (!sub.ok()) return sub.error();
    auto siv = crypto::AesSiv::Create(*sub);
    if (!siv.ok()) return siv.error();
    a->sivs_.emplace(version, std::move(siv).value());
  }
  a->active_ = (*key)->active;
  a->domain_ = *domain;
  a->active_siv_ = &a->sivs_.at(a->active_);
  a->active_aad_ = DeterministicAad(a->domain_, a->key_name_, a->active_);
  a->prefix_ = "\"" + OutputPrefix(kDeterministicFormat, a->key_name_, a->active_);
  return std::unique_ptr<Action>(std::move(a));
}

Status EncryptDeterministicAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  thread_local Scratch sc;
  sc.pt.clear();
  sc.sealed.clear();
  Status st = TaggedPlaintext(v, &sc.pt);
  if (st.ok()) st = active_siv_->Seal(std::string_view(active_aad_), sc.pt, &sc.sealed);
  if (st.ok()) {
    out->append(prefix_);
    AppendPayload(sc.sealed, out);
    out->push_back('"');
  }
  sc.Wipe();
  return st;
}

std::string EncryptDeterministicAction::KeyRef() const {
  return key_name_ + ":" + std::to_string(active_);
}

Result<std::string> EncryptDeterministicAction::Reveal(const ActionContext&, std::string_view json,
                                                       std::optional<uint32_t>) const {
  std::string storage;
  auto d = ParseSelfDescribing(json, kDeterministicFormat, &storage);
  if (!d.ok()) return d.error();
  if (Status s = CheckKey(*d, key_name_); !s.ok()) return s.error();
  auto it = sivs_.find(d->version);
  if (it == sivs_.end()) return UnknownVersion(key_name_, d->version);
  auto sealed = DecodePayload(d->payload);
  if (!sealed) return Error(ErrorCode::kAuthFailed, "ciphertext is not valid base64url");
  std::string pt;
  Status s = it->second.Open(std::string_view(DeterministicAad(domain_, key_name_, d->version)),
                             std::string_view(reinterpret_cast<const char*>(sealed->data()), sealed->size()), &pt);
  if (!s.ok()) return Error(ErrorCode::kAuthFailed, "ciphertext does not authenticate for this domain and key");
  return UntagToJson(pt);
}

}  // namespace maskproxy::transform
