// Machine-readable zones: FindMrzLines on its own, and through the scanner as
// hits of the built-in passport_kr detector (found by review: the OCR text of
// a passport photo passed, number, birth date and name).
#include "detect/mrz.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detect/scanner.h"

namespace maskproxy::detect {
namespace {

std::vector<std::string> Found(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> spans;
  internal::FindMrzLines(text, &spans);
  std::vector<std::string> out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}

const std::string kTd3Name = "PMKORHONG<<GILDONG<<<<<<<<<<<<<<<<<<<<<<<<<<";
const std::string kTd3Data = "M123456788KOR9001011M30010191234568<<<<<<<12";

TEST(MrzTest, PassportAndIdCardLines) {
  EXPECT_EQ(Found("여권 PASSPORT\n" + kTd3Name + "\n" + kTd3Data), (std::vector<std::string>{kTd3Name, kTd3Data}));
  // TD1 (ID cards, 3 x 30) and TD2 (2 x 36); OCR that drops or adds a
  // filler; a line after text on the same line.
  const std::string td1 =
      "I<KOR1234567897<<<<<<<<<<<<<<<\n9001011M3001019KOR<<<<<<<<<<<6\nHONG<<GILDONG<<<<<<<<<<<<<<<<<";
  EXPECT_EQ(Found(td1).size(), 3u);
  EXPECT_EQ(Found("I<KORHONG<<GILDONG<<<<<<<<<<<<<<<<<<").size(), 1u);
  EXPECT_EQ(Found("MRZ: " + kTd3Data.substr(0, 43) + " — end"), (std::vector<std::string>{kTd3Data.substr(0, 43)}));
  // A second review: the two lines joined, OCR's spaces inside a line (the
  // number before the space was left), small letters, glued to a word.
  EXPECT_EQ(Found(kTd3Name + kTd3Data), (std::vector<std::string>{kTd3Name + kTd3Data}));
  const std::string spaced = "M123456788KOR 9001011M3001019 1234568<<<<<<<12";
  EXPECT_EQ(Found("ocr: " + spaced + "\n"), (std::vector<std::string>{spaced}));
  EXPECT_EQ(Found("please check the ocr text of " + spaced), (std::vector<std::string>{spaced}));
  EXPECT_EQ(Found("m123456788kor9001011m30010191234568<<<<<<<12").size(), 1u);
  EXPECT_EQ(Found("x" + kTd3Data + "ok"), (std::vector<std::string>{"x" + kTd3Data + "ok"}));
}

TEST(MrzTest, NotMrzLines) {
  const std::string texts[] = {"std::cout<<x<<y<<z;",
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<AB",  // no digit, no "<<<"
                               "A<<1",                            // too short
                               kTd3Data + kTd3Data + kTd3Data,    // too long for lines OCR joined
                               "NO DIGIT HERE AND NO FILLER RUN<<X"};
  for (const std::string& text : texts) EXPECT_TRUE(Found(text).empty()) << text;
}

TEST(MrzTest, TheScannerReportsThemAsPassports) {
  auto s = Scanner::Create(Scanner::Defaults());
  ASSERT_TRUE(s.ok());
  const std::string text = "ocr:\n" + kTd3Name + "\n" + kTd3Data + "\n전화 010-1234-5678";
  std::vector<Span> spans;
  ASSERT_TRUE((*s)->Scan(text, &spans).ok());
  std::vector<std::pair<std::string, std::string>> hits;
  for (const Span& sp : spans) hits.emplace_back(std::string(sp.detector), text.substr(sp.begin, sp.end - sp.begin));
  EXPECT_EQ(hits, (std::vector<std::pair<std::string, std::string>>{
                      {"passport_kr", kTd3Name}, {"passport_kr", kTd3Data}, {"phone_kr", "010-1234-5678"}}));
  // A policy's own passport_kr pattern is not widened.
  std::vector<DetectorSpec> specs = {{"passport_kr", R"([MS]\d{8})", "none", {}, 20}};
  auto own = Scanner::Create(specs);
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE((*own)->Scan(text, &spans).ok());
  EXPECT_TRUE(spans.empty());
}

}  // namespace
}  // namespace maskproxy::detect
