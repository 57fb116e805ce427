#include "transform/actions/encrypt.h"

#include "crypto/mac.h"
#include "transform/actions/reversible.h"
#include "transform/formats.h"

namespace maskproxy::transform {

Result<std::unique_ptr<Action>> EncryptAction::Create(ActionOptions& o, const ActionEnv& env) {
  std::unique_ptr<EncryptAction> a(new EncryptAction());
  auto format = o.TakeEnum("format", kEncryptFormatV2, {std::string(kEncryptFormatV2), std::string(kEncryptFormat)});
  if (!format.ok()) return format.error();
  a->v2_ = *format == kEncryptFormatV2;
  auto key = FindKey(o, env, &a->key_name_);
  if (!key.ok()) return key.error();
  // Both formats' subkeys for every version: outputs of either still reveal.
  for (const auto& [version, material] : (*key)->versions) {
    auto sub = crypto::HkdfSha256(material, "maskproxy/encrypt/v1", "encrypt", crypto::AesGcm256::kKeyBytes);
    if (!sub.ok()) return sub.error();
    auto aead = crypto::AesGcm256::Create(*sub);
    if (!aead.ok()) return aead.error();
    a->aeads_.emplace(version, std::move(aead).value());
    auto sub2 = crypto::HkdfSha256(material, "maskproxy/encrypt/v2", "encrypt", crypto::Xaes256Gcm::kKeyBytes);
    if (!sub2.ok()) return sub2.error();
    auto xaead = crypto::Xaes256Gcm::Create(*sub2);
    if (!xaead.ok()) return xaead.error();
    a->xaeads_.emplace(version, std::move(xaead).value());
  }
  a->active_ = (*key)->active;
  a->field_ = env.field_path;
  if (!a->v2_) {
    // Only an e1 writer counts: the ledger is never touched for e2.
    a->ledger_ = env.ledger ? env.ledger : &crypto::UsageLedger::ProcessDefault();
    a->slot_ = a->ledger_->Handle(a->key_name_, a->active_);
  }
  a->active_aead_ = &a->aeads_.at(a->active_);
  a->active_xaead_ = &a->xaeads_.at(a->active_);
  a->active_text_ = std::to_string(a->active_);
  a->prefix_ = "\"" + OutputPrefix(a->v2_ ? kEncryptFormatV2 : kEncryptFormat, a->key_name_, a->active_);
  return std::unique_ptr<Action>(std::move(a));
}

Status EncryptAction::Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const {
  thread_local Scratch sc;
  sc.pt.clear();
  sc.sealed.clear();
  Status st = TaggedPlaintext(v, &sc.pt);
  if (st.ok() && !v2_) st = ledger_->Reserve(slot_);
  if (st.ok()) {
    sc.aad.clear();
    AppendEncryptAad(v2_ ? kEncryptFormatV2 : kEncryptFormat, ctx.topic, field_, key_name_, active_text_, &sc.aad);
    st = v2_ ? active_xaead_->Seal(sc.aad, sc.pt, &sc.sealed) : active_aead_->Seal(sc.aad, sc.pt, &sc.sealed);
  }
  std::string& sealed = sc.sealed;
  if (!st.ok()) {
    sc.Wipe();
    return st;
  }
  out->append(prefix_);
  AppendPayload(sealed, out);
  out->push_back('"');
  sc.Wipe();
  return Status::Ok();
}

std::string EncryptAction::KeyRef() const {
  return key_name_ + ":" + std::to_string(active_);
}

Result<std::string> EncryptAction::Reveal(const ActionContext& ctx, std::string_view json,
                                          std::optional<uint32_t>) const {
  // e2 or e1, told by the prefix; anything else is not this action's output.
  std::string storage;
  auto d = ParseSelfDescribing(json, kEncryptFormatV2, &storage);
  const bool v2 = d.ok();
  if (!v2) d = ParseSelfDescribing(json, kEncryptFormat, &storage);
  if (!d.ok()) return Error(ErrorCode::kInvalidCiphertext, "not an e2. or e1.<key>.<version>.<data> string");
  if (Status s = CheckKey(*d, key_name_); !s.ok()) return s.error();
  if (!aeads_.count(d->version)) return UnknownVersion(key_name_, d->version);
  auto sealed = DecodePayload(d->payload);
  if (!sealed) return Error(ErrorCode::kAuthFailed, "ciphertext is not valid base64url");
  std::string pt;
  std::string aad;
  AppendEncryptAad(v2 ? kEncryptFormatV2 : kEncryptFormat, ctx.topic, field_, key_name_, std::to_string(d->version),
                   &aad);
  std::string_view bytes(reinterpret_cast<const char*>(sealed->data()), sealed->size());
  Status s = v2 ? xaeads_.at(d->version).Open(aad, bytes, &pt) : aeads_.at(d->version).Open(aad, bytes, &pt);
  if (!s.ok()) return Error(ErrorCode::kAuthFailed, "ciphertext does not authenticate for this topic, field and key");
  return UntagToJson(pt);
}

}  // namespace maskproxy::transform
