#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "transform/action.h"
#include "transform/registry.h"

namespace maskproxy::transform {

// mask: keeps the first/last N characters (separators not counted), replaces
// the rest with mask_char, keeps separators. Works on Unicode code points.
// If keep_first + keep_last would show the whole value, or hide fewer than
// 4 of its characters (half of a value shorter than 8), everything is masked.
class MaskAction final : public Action {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Action>> Create(ActionOptions& o, const ActionEnv& env);
  [[nodiscard]] Status Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const override;
  // Above kMaxShownWarn characters shown (keep_first + keep_last).
  [[nodiscard]] std::string Warning() const override;
  // Only separators are shown when nothing is kept.
  [[nodiscard]] bool ShowsInput() const override { return keep_first_ + keep_last_ > 0; }
  // PCI DSS's most for a card number: the first 6 and the last 4 digits.
  static constexpr size_t kMaxShownWarn = 10;
  static constexpr size_t kMinHidden = 4;

 private:
  MaskAction() = default;
  // What a character of the value is to the mask.
  enum class MaskClass {
    kCounted,    // masked or kept: keep_first/keep_last count these
    kAsIs,       // a separator, or white space while the space is one: shown as it is
    kUncounted,  // other white space, an invisible or control character: masked, not counted
    kMark,       // a combining mark: goes with the character before it
  };
  // What a character beyond ASCII is (ASCII: ascii_class_).
  [[nodiscard]] MaskClass NonAsciiClass(uint32_t cp) const;
  size_t keep_first_ = 0, keep_last_ = 0;
  std::string mask_char_;
  std::array<bool, 128> separator_{};  // ASCII bytes kept in place
  std::array<MaskClass, 128> ascii_class_{};
};

}  // namespace maskproxy::transform
