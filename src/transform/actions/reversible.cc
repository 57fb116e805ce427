#include "transform/actions/reversible.h"

#include "common/number.h"

namespace maskproxy::transform {

Result<const crypto::Key*> FindKey(ActionOptions& o, const ActionEnv& env, std::string* name) {
  auto key_name = o.TakeString("key", "", /*required=*/true);
  if (!key_name.ok()) return key_name.error();
  auto found = FindRuleKey(env, *key_name);
  if (!found.ok()) return found.error();
  const crypto::Key* key = *found;
  if (key->purpose == crypto::KeyPurpose::kTokenization)
    return Error(ErrorCode::kKeyPurposeMismatch,
                 "[key] key" + crypto::ShownName(*key_name) + " is in the tokenization keyring " + key->origin +
                     "; a reversible action needs a key of the reversible keyring (key custody: a reveal host "
                     "must never need a tokenization key)");
  *name = *key_name;
  return key;
}

// Type tag + value text: what the reversible actions encrypt.
Status TaggedPlaintext(const codec::ScalarRef& v, std::string* pt) {
  switch (v.type) {
    case codec::JsonType::kString: pt->push_back('s'); break;
    case codec::JsonType::kNumber: pt->push_back('n'); break;
    case codec::JsonType::kBool: pt->push_back('b'); break;
    // A whole object or array (apply_to: whole): its exact JSON bytes.
    case codec::JsonType::kObject:
    case codec::JsonType::kArray: pt->push_back('j'); break;
    default: return Error(ErrorCode::kUnsupportedType, "this action takes strings, numbers, booleans and whole values");
  }
  pt->append(v.type == codec::JsonType::kString ? v.text : v.raw);
  return Status::Ok();
}

// The inverse: JSON text of a tagged plaintext (checked, though authenticated).
Result<std::string> UntagToJson(std::string_view pt) {
  if (pt.empty()) return Error(ErrorCode::kInvalidCiphertext, "plaintext has no type tag");
  std::string_view body = pt.substr(1);
  std::string out;
  switch (pt[0]) {
    case 's':
      if (!codec::IsValidUtf8(body)) break;
      codec::AppendJsonString(body, &out);
      return out;
    case 'n':
      if (!number::IsJsonNumber(body)) break;
      return std::string(body);
    case 'b':
      if (body != "true" && body != "false") break;
      return std::string(body);
    case 'j':
      if (body.empty() || (body[0] != '{' && body[0] != '[') || !codec::ValidateJson(body, {}).ok()) break;
      return std::string(body);
    default: break;
  }
  return Error(ErrorCode::kInvalidCiphertext, "plaintext has an unknown type tag or a malformed value");
}

Status CheckKey(const SelfDescribing& d, const std::string& key_name) {
  if (d.key_name != key_name)
    return Error(ErrorCode::kKeyMismatch, "output was made with key" + crypto::ShownName(d.key_name) +
                                              ", this rule uses" + crypto::ShownName(key_name));
  return Status::Ok();
}

Error UnknownVersion(const std::string& key_name, uint32_t version) {
  return Error(ErrorCode::kKeyVersionUnknown,
               "key" + crypto::ShownName(key_name) + " has no version " + std::to_string(version) + " in the keyring");
}

}  // namespace maskproxy::transform
