// Free-text PII detection throughput on one core: Scanner::Scan with all the
// built-in detectors over ~200-byte memo fields (Korean and English, about a
// third with PII, one with full-width digits and a zero-width space), the
// kind of text a payment event's memo carries. Reports MB/s
// (bytes_per_second), the mean memo size and the hits per pass (8).
// BM_ScanMemosReference runs the same memos through the plain reference path
// (internal::ScanReference: RE2::Set and every named detector's RE2 over the
// whole text), BM_ScanLongText one 4 KB text made of the memos.
//
//   ninja -C build detect_bench
//   ./build/bench/detect_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "detect/normalize.h"
#include "detect/scanner.h"

namespace {

using namespace maskproxy;

// Brings the memos to ~200 bytes on average, the typical memo field.
std::vector<std::string> WithSignOff(std::vector<std::string> memos) {
  for (std::string& m : memos) m += " 확인 부탁드립니다, 빠른 처리 감사합니다.";
  return memos;
}

const std::vector<std::string>& Memos() {
  static const std::vector<std::string> kMemos = WithSignOff({
      "생일 선물 감사합니다. 다음 주 화요일까지 배송 부탁드려요. 포장은 리본 없이 심플하게 해주시고, 카드에는 "
      "'사랑하는 엄마에게'라고 적어주세요.",
      "Please leave the package at the front desk of building B. The receptionist knows about it. "
      "Order ORD-2026112600012345, thanks a lot!",
      "김민준 고객 요청: 010-1234-5678로 배송 전 연락 바랍니다. 부재 시 경비실에 맡겨 주세요. 감사합니다.",
      "환불 계좌 신한 110-123-456789 (예금주 이서연)로 입금 부탁드립니다. 처리 후 문자 주세요.",
      "결제금액 1,234,567원, 부가세 포함. 영수증은 minjun.kim@example.com 으로 보내 주세요. 현금영수증 불필요.",
      "Customer says the card 4111 1111 1111 1111 was charged twice on 2026-11-26 at 09:30. Please check "
      "and refund the duplicate.",
      "문 앞에 놓아 주세요. 초인종 누르지 말아 주세요, 아기가 자고 있어요. 늦어도 괜찮습니다. 항상 감사합니다!",
      "Login from 203.0.113.7 flagged by fraud rules; tracking 6081234567890 shipped via CJ, ETA 2 days. "
      "No action needed from the customer.",
      "주민번호 900101-1234568 확인 요청 건. 본인 확인 후 처리 바랍니다. 담당자: 고객센터 1588-1234 상담원.",
      "전화 ０１０－９８７６－５４３２ 로 연락\u200B주세요. 선물 포장 부탁드립니다. 메시지 카드 동봉 요청합니다.",
      "Gift for my sister, please wrap it nicely and include the message card. Deliver before Friday if "
      "possible, otherwise Monday.",
      "상품코드 A010-1234-5678 재고 확인 부탁드립니다. 색상은 블루, 사이즈 M. 교환 시 택배비는 제가 부담합니다.",
  });
  return kMemos;
}

// The built-ins without the two found by korean_text.h (person_name,
// address): what those add to BM_ScanMemos, side by side.
std::vector<detect::DetectorSpec> DefaultsFor(bool names_and_addresses) {
  std::vector<detect::DetectorSpec> specs;
  for (const detect::DetectorSpec& s : detect::Scanner::Defaults())
    if (names_and_addresses || (s.name != "person_name" && s.name != "address")) specs.push_back(s);
  return specs;
}

void ScanMemos(benchmark::State& state, bool names_and_addresses) {
  auto scanner = detect::Scanner::Create(DefaultsFor(names_and_addresses));
  if (!scanner.ok()) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  const auto& memos = Memos();
  size_t bytes = 0;
  for (const auto& m : memos) bytes += m.size();
  std::vector<detect::Span> spans;
  size_t hits = 0;
  for (auto _ : state) {
    for (const auto& m : memos) {
      if (!(*scanner)->Scan(m, &spans).ok()) {
        state.SkipWithError("scan failed");
        return;
      }
      hits += spans.size();
    }
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["memo_bytes"] = static_cast<double>(bytes) / static_cast<double>(memos.size());
  state.counters["hits_per_pass"] =
      static_cast<double>(hits) / static_cast<double>(state.iterations() > 0 ? state.iterations() : 1);
}
void BM_ScanMemos(benchmark::State& state) {
  ScanMemos(state, true);
}
BENCHMARK(BM_ScanMemos);
void BM_ScanMemosWithoutNamesAndAddresses(benchmark::State& state) {
  ScanMemos(state, false);
}
BENCHMARK(BM_ScanMemosWithoutNamesAndAddresses);

// The same memos through the reference path the windowed scan is tested
// against (scanner_test): what the scan cost before the windows.
void BM_ScanMemosReference(benchmark::State& state) {
  auto scanner = detect::Scanner::Create(detect::Scanner::Defaults());
  if (!scanner.ok()) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  const auto& memos = Memos();
  size_t bytes = 0;
  for (const auto& m : memos) bytes += m.size();
  std::vector<detect::Span> spans;
  for (auto _ : state) {
    for (const auto& m : memos) {
      if (!detect::internal::ScanReference(**scanner, m, &spans).ok()) {
        state.SkipWithError("scan failed");
        return;
      }
      benchmark::DoNotOptimize(spans.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ScanMemosReference);

// One long text (the memos joined until 4 KB: a long free-text field).
void BM_ScanLongText(benchmark::State& state) {
  auto scanner = detect::Scanner::Create(detect::Scanner::Defaults());
  if (!scanner.ok()) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  std::string text;
  for (size_t i = 0; text.size() < 4096; ++i) text += Memos()[i % Memos().size()] + "\n";
  std::vector<detect::Span> spans;
  for (auto _ : state) {
    if (!(*scanner)->Scan(text, &spans).ok()) {
      state.SkipWithError("scan failed");
      return;
    }
    benchmark::DoNotOptimize(spans.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["hits"] = static_cast<double>(spans.size());
}
BENCHMARK(BM_ScanLongText);

// The default scanner over one text, again and again.
void ScanOneText(benchmark::State& state, const std::string& text) {
  auto scanner = detect::Scanner::Create(detect::Scanner::Defaults());
  if (!scanner.ok()) {
    state.SkipWithError(scanner.error().ToString().c_str());
    return;
  }
  std::vector<detect::Span> spans;
  for (auto _ : state) {
    if (!(*scanner)->Scan(text, &spans).ok()) {
      state.SkipWithError("scan failed");
      return;
    }
    benchmark::DoNotOptimize(spans.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

// Floor: the same memos with no PII-looking text at all (prefilter only).
void BM_ScanPlainAscii(benchmark::State& state) {
  ScanOneText(state,
              "Gift for my sister, please wrap it nicely and include the message card. Deliver before Friday if "
              "possible, otherwise Monday. Thank you so much for the quick service last time!");
}
BENCHMARK(BM_ScanPlainAscii);

// Adversarial text: digits between long runs of separators, and fixed-width
// columns of single digits (20 KB). The digit-by-digit patterns take at
// most three separator characters between digits, so a match stays short;
// with runs of any length in the patterns it took seconds (quadratic
// retries of long failed matches). Normalization now reads each run of '-'
// as one (normalize.h), so the first half is "0-0-0-…" one digit at a time:
// 4-5x what it cost before that, linear.
void BM_ScanSeparatorRuns(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "0" + std::string(200, '-');
  for (int i = 0; i < 500; ++i) text += "0" + std::string(20, ' ');
  ScanOneText(state, text);
}
BENCHMARK(BM_ScanSeparatorRuns);

// Adversarial text: trigger bytes of different detector groups alternating
// inside one long run ("1:1:1:", "1@1@", timestamps), 20 KB of each. The
// scan keeps the last few runs it grew; growing the same run again at every
// trigger was quadratic (a 1 MB record of "::1" took 414 s).
void BM_ScanAlternatingTriggers(benchmark::State& state) {
  std::string text;
  for (const char* piece : {"1:", "1@", "12:34:56 "}) {
    const std::string p = piece;
    for (size_t n = 0; n < 20000; n += p.size()) text += p;
    text += "\n";
  }
  ScanOneText(state, text);
}
BENCHMARK(BM_ScanAlternatingTriggers);

// Long runs of e-mail characters in which every '.' or '-' starts a
// candidate that fails: each was matched to its end and every shorter end
// tried again (4 KB of dots took 15 s); now bounded by the local part's 64
// characters.
void BM_ScanEmailRuns(benchmark::State& state) {
  std::string text;
  for (const char* piece : {".", "a-", "a."}) {
    const std::string p = piece;
    for (size_t n = 0; n < 20000; n += p.size()) text += p;
    text += "kim@naver.com\n";
  }
  ScanOneText(state, text);
}
BENCHMARK(BM_ScanEmailRuns);

// Normalization alone (normalize.h) on a 4 KB text: the fast check that
// finds nothing to fold (ASCII; Korean text; Korean chat with ㅋㅋ and
// emoji, whose lead bytes some folded characters share) and the copy with
// its byte map when something is folded.
std::string Repeat4k(const std::string& piece) {
  std::string text;
  while (text.size() < 4096) text += piece;
  return text;
}

void RunNormalize(benchmark::State& state, const std::string& text) {
  detect::NormalizedText norm;
  for (auto _ : state) {
    if (!detect::NormalizedText::CreateInto(text, &norm).ok()) {
      state.SkipWithError("normalize failed");
      return;
    }
    benchmark::DoNotOptimize(norm.text().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_NormalizeAscii(benchmark::State& state) {
  RunNormalize(state, Repeat4k(Memos()[1] + "\n" + Memos()[5] + "\t"));
}
BENCHMARK(BM_NormalizeAscii);

void BM_NormalizeHangul(benchmark::State& state) {
  RunNormalize(state, Repeat4k(Memos()[0] + "\n" + Memos()[2] + " " + Memos()[3] + "\n"));
}
BENCHMARK(BM_NormalizeHangul);

void BM_NormalizeHangulChat(benchmark::State& state) {
  RunNormalize(state, Repeat4k(Memos()[6] + " ㅋㅋㅋ 😀👍 「감사」 ㅠㅠ\n"));
}
BENCHMARK(BM_NormalizeHangulChat);

void BM_NormalizeFolded(benchmark::State& state) {
  RunNormalize(state, Repeat4k(Memos()[9] + "\n" + Memos()[2] + "\n"));
}
BENCHMARK(BM_NormalizeFolded);

}  // namespace

BENCHMARK_MAIN();
