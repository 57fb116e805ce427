#include "crypto/ff1.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <bit>
#include <climits>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "crypto/ctx_pool.h"

namespace maskproxy::crypto {
namespace {

constexpr size_t kBlock = 16;

// A thread slot's AES context, with the last call's CBC-MAC chaining value
// after P and Q's round-independent blocks: it depends only on the key, the
// radix, the length and the tweak, which repeat for a field (one tweak, one
// length), so a repeat saves that AES call. Wiped with the context.
struct CipherCtx {
  static constexpr size_t kMemoTweak = 32;  // longer tweaks are not remembered
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  size_t memo_n = 0;  // 0: nothing remembered (n >= 2)
  size_t memo_t = 0;
  unsigned char memo_tweak[kMemoTweak];
  unsigned char memo_prefix[16];
  CipherCtx() = default;
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
  ~CipherCtx() {
    OPENSSL_cleanse(memo_prefix, sizeof memo_prefix);
    EVP_CIPHER_CTX_free(ctx);
  }
  bool Remembers(size_t n, std::string_view tweak) const {
    return memo_n == n && memo_t == tweak.size() && std::memcmp(memo_tweak, tweak.data(), tweak.size()) == 0;
  }
  void Remember(size_t n, std::string_view tweak, const unsigned char* prefix) {
    if (tweak.size() > kMemoTweak) return;
    memo_n = n;
    memo_t = tweak.size();
    std::memcpy(memo_tweak, tweak.data(), tweak.size());
    std::memcpy(memo_prefix, prefix, sizeof memo_prefix);
  }
};

__extension__ typedef unsigned __int128 U128;

// BN_CTX with one frame open; every BIGNUM taken from it is wiped on exit
// (BN_CTX_free clears its pool).
struct BnFrame {
  BN_CTX* ctx = nullptr;
  BnFrame() = default;
  BnFrame(const BnFrame&) = delete;
  BnFrame& operator=(const BnFrame&) = delete;
  ~BnFrame() {
    if (ctx) {
      BN_CTX_end(ctx);
      BN_CTX_free(ctx);
    }
  }
};

// The BIGNUM path's numbers; only allocated for domains beyond 64 bits.
struct BnState {
  BnFrame frame;
  BIGNUM* mod_u = nullptr;  // radix^u
  BIGNUM* mod_v = nullptr;  // radix^v
  BIGNUM* a = nullptr;
  BIGNUM* b = nullptr;
  BIGNUM* c = nullptr;
  BIGNUM* y = nullptr;
  BIGNUM* tmp = nullptr;
  bool Init() {
    frame.ctx = BN_CTX_new();
    if (!frame.ctx) return false;
    BN_CTX_start(frame.ctx);
    for (BIGNUM** x : {&mod_u, &mod_v, &a, &b, &c, &y, &tmp}) *x = BN_CTX_get(frame.ctx);
    return tmp != nullptr;
  }
};

// Largest b (step 3): v <= (kMaxLength + 1) / 2 numerals of at most 16 bits.
constexpr size_t kMaxB = (Ff1::kMaxLength + 1) / 2 * 2;
// The round buffers, on the stack and wiped on exit: the part of Q after the
// round-independent blocks (< 16 + 1 + b bytes) and S (ceil(d / 16) blocks,
// d <= b + 8).
struct Buffers {
  unsigned char prefix[kBlock];
  unsigned char tail[kBlock + 1 + kMaxB + kBlock];
  unsigned char s[kMaxB + 8 + kBlock];
  size_t tail_used = 0;
  size_t s_used = 0;
  ~Buffers() {
    OPENSSL_cleanse(prefix, sizeof(prefix));
    OPENSSL_cleanse(tail, tail_used);
    OPENSSL_cleanse(s, s_used);
  }
};

// radix^k with what reduces modulo it without a divide instruction
// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019):
// for x, m < 2^64 and M = ceil(2^128 / m), x mod m = ((M * x mod 2^128) * m)
// >> 128. Four multiplications instead of a 64-bit divide per round.
struct Modulus {
  uint64_t m = 0;
  U128 inv = 0;  // ceil(2^128 / m)
};

Modulus MakeModulus(uint64_t m) {
  return Modulus{m, ~static_cast<U128>(0) / m + 1};
}

// (a * b) >> 128 for a < 2^128, b < 2^64.
uint64_t MulHi(U128 a, uint64_t b) {
  const U128 lo = static_cast<U128>(static_cast<uint64_t>(a)) * b;
  const U128 hi = static_cast<U128>(static_cast<uint64_t>(a >> 64)) * b;
  return static_cast<uint64_t>((hi + (lo >> 64)) >> 64);
}

// y mod m for y < 2^96 (d <= 12 bytes). Below 2^64 (d = 8, every domain up
// to 2^32) by the multiplications above; else x86-64's 128-by-64-bit divide
// (after reducing the high half, so the quotient fits) or the compiler's
// 128-bit modulo.
uint64_t Mod(U128 y, const Modulus& mod) {
  const uint64_t m = mod.m;
  if ((y >> 64) == 0) return MulHi(mod.inv * static_cast<uint64_t>(y), m);
#if defined(__x86_64__)
  uint64_t hi = static_cast<uint64_t>(y >> 64);
  if (hi >= m) hi %= m;
  const uint64_t lo = static_cast<uint64_t>(y);
  uint64_t q = 0;
  uint64_t r = 0;
  __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(m) : "cc");
  return r;
#else
  return static_cast<uint64_t>(y % m);
#endif
}

uint64_t LoadBe64(const unsigned char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  return x;
}
uint32_t LoadBe32(const unsigned char* p) {
  uint32_t x;
  std::memcpy(&x, p, sizeof x);
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap32(x);
  return x;
}

U128 LoadBe128(const unsigned char* p) {
  return (static_cast<U128>(LoadBe64(p)) << 64) | LoadBe64(p + 8);
}
// One 16-byte store, so that the AES call's load of the block is forwarded.
void StoreBe128(unsigned char* p, U128 x) {
  uint64_t w[2] = {static_cast<uint64_t>(x >> 64), static_cast<uint64_t>(x)};
  if constexpr (std::endian::native == std::endian::little) {
    w[0] = __builtin_bswap64(w[0]);
    w[1] = __builtin_bswap64(w[1]);
  }
#if defined(__SSE2__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                   _mm_set_epi64x(static_cast<long long>(w[1]), static_cast<long long>(w[0])));
#else
  std::memcpy(p, w, sizeof w);
#endif
}

// STR^len_radix(x) into out[0..len). The usual radixes are compile-time
// constants, so their divisions become multiplications.
template <uint32_t kRadix>
void StrFixed(uint64_t x, uint16_t* out, size_t len) {
  for (size_t k = len; k > 0; x /= kRadix) out[--k] = static_cast<uint16_t>(x % kRadix);
}
void Str(uint64_t x, uint32_t radix, uint16_t* out, size_t len) {
  switch (radix) {
    case 10: return StrFixed<10>(x, out, len);
    case 36: return StrFixed<36>(x, out, len);
    case 62: return StrFixed<62>(x, out, len);
    default:
      for (size_t k = len; k > 0; x /= radix) out[--k] = static_cast<uint16_t>(x % radix);
  }
}

Error Failed() {
  return Error(ErrorCode::kCryptoFailed, "FF1 computation failed");
}

// CIPH_K on `blocks` whole blocks (AES-ECB, no padding). in == out is fine.
bool Ciph(EVP_CIPHER_CTX* ctx, const unsigned char* in, unsigned char* out, size_t blocks) {
  if (blocks == 0) return true;
  int len = 0;
  const int want = static_cast<int>(blocks * kBlock);
  return EVP_EncryptUpdate(ctx, out, &len, in, want) == 1 && len == want;
}

}  // namespace

namespace internal {
// Test hook (tests/crypto/ff1_test.cc): when set, every domain size takes the
// BIGNUM path, the reference for the native one.
std::atomic<bool> ff1_force_bignum{false};
}  // namespace internal

struct Ff1::Impl {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* tmpl = nullptr;  // AES-ECB keyed for encryption; copied once per thread slot
  internal::CtxPool<CipherCtx> aes;
  uint32_t radix = 0;
  size_t min_len = 0;
  std::vector<Modulus> pow;  // pow[k]: radix^k, for every k with radix^k < 2^64
  ~Impl() {
    EVP_CIPHER_CTX_free(tmpl);
    EVP_CIPHER_free(cipher);
  }
};

Ff1::Ff1(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ff1::Ff1(Ff1&&) noexcept = default;
Ff1& Ff1::operator=(Ff1&&) noexcept = default;
Ff1::~Ff1() = default;

uint32_t Ff1::radix() const {
  return impl_->radix;
}
size_t Ff1::min_length() const {
  return impl_->min_len;
}

Result<Ff1> Ff1::Create(const SecretBytes& key, uint32_t radix) {
  const char* name = nullptr;
  switch (key.size()) {
    case 16: name = "AES-128-ECB"; break;
    case 24: name = "AES-192-ECB"; break;
    case 32: name = "AES-256-ECB"; break;
    default: return Error(ErrorCode::kInvalidKey, "FF1 needs a 16-, 24- or 32-byte AES key");
  }
  if (radix < kMinRadix || radix > kMaxRadix) return Error(ErrorCode::kInvalidRadix, "FF1 radix must be in [2, 65536]");
  auto impl = std::make_unique<Impl>();
  impl->radix = radix;
  uint64_t domain = 1;
  while (domain < kMinDomainSize) {
    domain *= radix;
    ++impl->min_len;
  }
  for (uint64_t p = 1;; p *= radix) {
    impl->pow.push_back(MakeModulus(p));
    if (p > UINT64_MAX / radix) break;
  }
  impl->cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (!impl->cipher)
    return Error(ErrorCode::kCryptoUnavailable, std::string("OpenSSL has no ") + name + " implementation");
  impl->tmpl = EVP_CIPHER_CTX_new();
  if (!impl->tmpl) return Error(ErrorCode::kCryptoFailed, "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(impl->tmpl, impl->cipher, key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(impl->tmpl, 0) != 1)
    return Error(ErrorCode::kCryptoFailed, "FF1 AES key setup failed");
  return Ff1(std::move(impl));
}

Status Ff1::Encrypt(std::string_view tweak, const std::vector<uint16_t>& numerals, std::vector<uint16_t>* out) const {
  return Run(true, tweak, numerals, out);
}

Status Ff1::Decrypt(std::string_view tweak, const std::vector<uint16_t>& numerals, std::vector<uint16_t>* out) const {
  return Run(false, tweak, numerals, out);
}

// SP 800-38G Rev. 1 Algorithm 7 (encrypt) and Algorithm 8 (decrypt). A and B
// are kept as the integers NUM_radix(A), NUM_radix(B) throughout: each round's
// C = STR^m_radix(c) is only ever read back as NUM_radix(C) = c, so the
// numeral strings are formed once, at the end.
//
// When radix^v < 2^64 (v = ceil(n/2) >= u) the integers are uint64_t and y is
// at most 12 bytes (b <= 8, so d <= 12), reduced with 128-bit arithmetic;
// larger domains use BIGNUM. Both give the same b, d, P, Q and S, so the same
// ciphertext (tests/crypto/ff1_test.cc checks them against each other).
Status Ff1::Run(bool encrypt, std::string_view tweak, const std::vector<uint16_t>& numerals,
                std::vector<uint16_t>* out) const {
  const uint32_t radix = impl_->radix;
  const size_t n = numerals.size();
  if (n < impl_->min_len)
    return Error(ErrorCode::kDomainTooSmall,
                 "FF1 input is too short for its radix (radix^length must be >= 1,000,000)");
  if (n > kMaxLength) return Error(ErrorCode::kInputTooLong, "FF1 input is longer than " + std::to_string(kMaxLength));
  if (tweak.size() > UINT32_MAX) return Error(ErrorCode::kTooLarge, "FF1 tweak is 2^32 bytes or longer");
  for (size_t i = 0; i < n; ++i)
    if (numerals[i] >= radix)
      return Error(ErrorCode::kInvalidNumeral,
                   "FF1 numeral at position " + std::to_string(i) + " is not below the radix");

  const size_t t = tweak.size();
  const size_t u = n / 2;  // step 1 (n >= 2: radix <= 2^16 < 10^6)
  const size_t v = n - u;

  // radix^u and radix^v, natively while they fit.
  const bool native = v < impl_->pow.size() && !internal::ff1_force_bignum.load(std::memory_order_relaxed);

  BnState bn;
  size_t b_len = 0;
  if (native) {
    // Step 3: b = ceil(ceil(v * LOG2(radix)) / 8); ceil(log2(x)) = BITLEN(x - 1).
    b_len = (static_cast<size_t>(std::bit_width(impl_->pow[v].m - 1)) + 7) / 8;
  } else {
    if (!bn.Init()) return Error(ErrorCode::kCryptoFailed, "FF1 context setup failed");
    bool ok = BN_one(bn.mod_u) == 1;
    for (size_t i = 0; ok && i < u; ++i) ok = BN_mul_word(bn.mod_u, radix) == 1;
    ok = ok && BN_copy(bn.mod_v, bn.mod_u) != nullptr && (v == u || BN_mul_word(bn.mod_v, radix) == 1);
    ok = ok && BN_copy(bn.tmp, bn.mod_v) != nullptr && BN_sub_word(bn.tmp, 1) == 1;
    if (!ok) return Failed();
    b_len = (static_cast<size_t>(BN_num_bits(bn.tmp)) + 7) / 8;
  }
  // Step 4: d = 4 * ceil(b / 4) + 4.
  const size_t d_len = 4 * ((b_len + 3) / 4) + 4;

  auto aes = impl_->aes.Acquire([this] {
    auto c = std::make_unique<CipherCtx>();
    if (!c->ctx || EVP_CIPHER_CTX_copy(c->ctx, impl_->tmpl) != 1) c.reset();
    return c;
  });
  if (!aes) return Error(ErrorCode::kCryptoFailed, "FF1 context setup failed");
  EVP_CIPHER_CTX* ctx = aes->ctx;

  // Step 5: P = [1]^1 || [2]^1 || [1]^1 || [radix]^3 || [10]^1 || [u mod 256]^1 || [n]^4 || [t]^4.
  const unsigned char p[kBlock] = {1,
                                   2,
                                   1,
                                   static_cast<unsigned char>(radix >> 16),
                                   static_cast<unsigned char>(radix >> 8),
                                   static_cast<unsigned char>(radix),
                                   10,
                                   static_cast<unsigned char>(u % 256),
                                   static_cast<unsigned char>(n >> 24),
                                   static_cast<unsigned char>(n >> 16),
                                   static_cast<unsigned char>(n >> 8),
                                   static_cast<unsigned char>(n),
                                   static_cast<unsigned char>(t >> 24),
                                   static_cast<unsigned char>(t >> 16),
                                   static_cast<unsigned char>(t >> 8),
                                   static_cast<unsigned char>(t)};

  // Q = T || [0]^((-t-b-1) mod 16) || [i]^1 || [NUM_radix(B)]^b; |Q| is a
  // multiple of 16. Everything before [i] is the same in every round.
  const size_t zeros = (kBlock - (t + b_len + 1) % kBlock) % kBlock;
  const size_t i_pos = t + zeros;
  const size_t q_len = i_pos + 1 + b_len;
  const size_t fixed_blocks = i_pos / kBlock;

  // PRF(P || Q) is CBC-MAC with a zero IV. Chain P and the round-independent
  // whole blocks of Q once: `prefix` is the chaining value after them. Only
  // the rest of Q (`tail`) is formed, once, and updated in each round.
  Buffers buf;
  unsigned char* prefix = buf.prefix;
  if (aes->Remembers(n, tweak)) {
    std::memcpy(prefix, aes->memo_prefix, kBlock);
  } else {
    if (!Ciph(ctx, p, prefix, 1)) return Failed();
    for (size_t k = 0; k < fixed_blocks; ++k) {
      for (size_t j = 0; j < kBlock; ++j) {
        const size_t at = k * kBlock + j;
        prefix[j] ^= at < t ? static_cast<unsigned char>(tweak[at]) : 0;
      }
      if (!Ciph(ctx, prefix, prefix, 1)) return Failed();
    }
    aes->Remember(n, tweak, prefix);
  }
  const size_t tail_len = q_len - fixed_blocks * kBlock;
  const size_t tail_i = i_pos - fixed_blocks * kBlock;  // [i] in tail
  unsigned char* tail = buf.tail;
  buf.tail_used = tail_len;
  for (size_t j = 0; j < tail_i; ++j) {
    const size_t at = fixed_blocks * kBlock + j;
    tail[j] = at < t ? static_cast<unsigned char>(tweak[at]) : 0;
  }
  std::memset(tail + tail_i, 0, tail_len - tail_i);

  // S = R || CIPH(R xor [1]^16) || ... || CIPH(R xor [ceil(d/16)-1]^16).
  const size_t s_blocks = (d_len + kBlock - 1) / kBlock;
  unsigned char* s = buf.s;
  buf.s_used = s_blocks * kBlock;
  // Steps 6.i-iii: S from Q's round number and numeral block (tail[tail_i..]).
  auto round_s = [&](int i) {
    tail[tail_i] = static_cast<unsigned char>(i);
    unsigned char* r = s;
    std::memcpy(r, prefix, kBlock);
    for (size_t k = 0; k < tail_len / kBlock; ++k) {
      for (size_t j = 0; j < kBlock; ++j) r[j] ^= tail[k * kBlock + j];
      if (!Ciph(ctx, r, r, 1)) return false;
    }
    for (size_t k = 1; k < s_blocks; ++k) {
      unsigned char* blk = s + k * kBlock;
      std::memcpy(blk, r, kBlock);
      for (size_t j = 0; j < sizeof(size_t); ++j)  // [k]^16: k big-endian in 16 bytes
        blk[kBlock - 1 - j] = static_cast<unsigned char>(blk[kBlock - 1 - j] ^ ((k >> (8 * j)) & 0xff));
    }
    return Ciph(ctx, s + kBlock, s + kBlock, s_blocks - 1);
  };

  if (native) {
    // Step 2: A = X[1..u], B = X[u+1..n], as NUM_radix.
    const Modulus& mod_u = impl_->pow[u];
    const Modulus& mod_v = impl_->pow[v];
    uint64_t a = 0;
    uint64_t b = 0;
    for (size_t k = 0; k < u; ++k) a = a * radix + numerals[k];
    for (size_t k = u; k < n; ++k) b = b * radix + numerals[k];
    // b <= 8, so the tail of Q is one block ending in [i]^1 || [x]^b (the
    // first tail_i bytes are round-independent) and S is one block, R: each
    // round is one AES call. The block is formed in registers and stored
    // once, whole (byte stores followed by a block load would stall).
    if (tail_len != kBlock || s_blocks != 1) return Failed();  // b <= 8 makes both so
    const U128 chained = LoadBe128(prefix) ^ LoadBe128(tail);  // tail[tail_i..] is zero
    const unsigned shift = static_cast<unsigned>(8 * b_len);
    for (int round = 0; round < 10; ++round) {
      const int i = encrypt ? round : 9 - round;
      const uint64_t x = encrypt ? b : a;  // [NUM_radix(B)]^b when encrypting, A when decrypting
      StoreBe128(s, chained ^ (static_cast<U128>(i) << shift) ^ x);
      if (!Ciph(ctx, s, s, 1)) return Failed();
      // Step 6.iv: y = NUM(S); d is 8 or 12 bytes.
      const U128 y = d_len == 8 ? LoadBe64(s) : (static_cast<U128>(LoadBe64(s)) << 32) | LoadBe32(s + 8);
      // Step 6.v: m = u for even i, v for odd i.
      const Modulus& modulus = (i % 2 == 0) ? mod_u : mod_v;
      const uint64_t mod = modulus.m;
      const uint64_t ym = Mod(y, modulus);
      if (encrypt) {
        // Steps 6.vi-ix: c = (NUM_radix(A) + y) mod radix^m; A = B; B = C.
        // a, ym < mod <= 2^64: a wrapped sum is >= mod as well.
        uint64_t c = a + ym;
        if (c < a || c >= mod) c -= mod;
        a = b;
        b = c;
      } else {
        // Algorithm 8 steps 6.vi-ix: c = (NUM_radix(B) - y) mod radix^m; B = A; A = C.
        const uint64_t c = b >= ym ? b - ym : b + (mod - ym);
        b = a;
        a = c;
      }
    }
    // Step 7: A || B, with |A| = u and |B| = v. Written only now, so *out may
    // alias the input and is untouched on failure.
    out->resize(n);
    Str(a, radix, out->data(), u);
    Str(b, radix, out->data() + u, v);
    return Status::Ok();
  }

  BIGNUM* a = bn.a;
  BIGNUM* b = bn.b;
  BIGNUM* c = bn.c;
  BN_zero(a);
  BN_zero(b);
  bool ok = true;
  for (size_t i = 0; ok && i < u; ++i) ok = BN_mul_word(a, radix) == 1 && BN_add_word(a, numerals[i]) == 1;
  for (size_t i = u; ok && i < n; ++i) ok = BN_mul_word(b, radix) == 1 && BN_add_word(b, numerals[i]) == 1;
  if (!ok) return Failed();
  for (int round = 0; round < 10; ++round) {
    const int i = encrypt ? round : 9 - round;
    // Step 6.i: Q, from NUM_radix(B) when encrypting and NUM_radix(A) when decrypting.
    if (BN_bn2binpad(encrypt ? b : a, tail + tail_i + 1, static_cast<int>(b_len)) != static_cast<int>(b_len))
      return Failed();
    // Steps 6.ii-iii: R = PRF(P || Q); S.
    if (!round_s(i)) return Failed();
    // Step 6.iv: y = NUM(S).
    if (!BN_bin2bn(s, static_cast<int>(d_len), bn.y)) return Failed();
    // Step 6.v: m = u for even i, v for odd i.
    const BIGNUM* mod = (i % 2 == 0) ? bn.mod_u : bn.mod_v;
    if (encrypt) {
      // Steps 6.vi-ix: c = (NUM_radix(A) + y) mod radix^m; A = B; B = C.
      if (BN_add(bn.tmp, a, bn.y) != 1 || BN_nnmod(c, bn.tmp, mod, bn.frame.ctx) != 1) return Failed();
      BIGNUM* old_a = a;
      a = b;
      b = c;
      c = old_a;
    } else {
      // Algorithm 8 steps 6.vi-ix: c = (NUM_radix(B) - y) mod radix^m; B = A; A = C.
      if (BN_sub(bn.tmp, b, bn.y) != 1 || BN_nnmod(c, bn.tmp, mod, bn.frame.ctx) != 1) return Failed();
      BIGNUM* old_b = b;
      b = a;
      a = c;
      c = old_b;
    }
  }

  // Step 7: A || B, with |A| = u and |B| = v.
  out->resize(n);
  for (size_t k = u; k-- > 0;) (*out)[k] = static_cast<uint16_t>(BN_div_word(a, radix));
  for (size_t k = v; k-- > 0;) (*out)[u + k] = static_cast<uint16_t>(BN_div_word(b, radix));
  return Status::Ok();
}

Result<std::vector<uint16_t>> Ff1::Numerals(std::string_view text, std::string_view alphabet) {
  if (alphabet.size() < 2 || alphabet.size() > 128)
    return Error(ErrorCode::kInvalidAlphabet, "FF1 alphabet must have 2 to 128 characters");
  std::array<int, 256> index;
  index.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    const auto ch = static_cast<unsigned char>(alphabet[i]);
    if (ch >= 128) return Error(ErrorCode::kInvalidAlphabet, "FF1 alphabet must be ASCII");
    if (index[ch] != -1) return Error(ErrorCode::kInvalidAlphabet, "FF1 alphabet has a repeated character");
    index[ch] = static_cast<int>(i);
  }
  std::vector<uint16_t> out(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int x = index[static_cast<unsigned char>(text[i])];
    if (x < 0) {
      OPENSSL_cleanse(out.data(), out.size() * sizeof(uint16_t));
      return Error(ErrorCode::kInvalidNumeral,
                   "character at position " + std::to_string(i) + " is not in the FF1 alphabet");
    }
    out[i] = static_cast<uint16_t>(x);
  }
  return out;
}

std::string Ff1::Text(const std::vector<uint16_t>& numerals, std::string_view alphabet) {
  std::string out;
  out.reserve(numerals.size());
  for (uint16_t x : numerals) out.push_back(x < alphabet.size() ? alphabet[x] : '?');
  return out;
}

}  // namespace maskproxy::crypto
