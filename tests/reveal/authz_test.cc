// Authorization of reveal requests: subjects, grants, purposes, limits; the
// rate limits with an injected clock (no sleeping).
#include "reveal/authz.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace maskproxy::reveal {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kKim[] = "CN=kim,OU=fraud,O=Example";
constexpr char kLee[] = "CN=lee,OU=support,O=Example";

AuthzOptions Options() {
  AuthzOptions o;
  o.max_values_per_request = 5;
  o.values_per_minute = 10;
  o.requests_per_minute = 4;
  o.unauthenticated_audits_per_minute = 2;
  o.roles.push_back(
      {"fraud-analyst", {kKim}, {{"transfers", {"sender.email", "$scan.email"}, {"fraud", "chargeback"}}}});
  o.roles.push_back({"support", {kLee, kKim}, {{"users", {"user.phone"}, {"support"}}}});
  return o;
}

class AuthzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = Authorizer::Create(Options(), [this] { return now_; });
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    authz_ = std::move(a).value();
  }
  AccessRequest Req(std::string subject, std::string route, std::string field, std::string purpose, size_t values = 1) {
    return {std::move(subject), std::move(route), std::move(field), std::move(purpose), "SEC-1", values};
  }
  Clock::time_point now_ = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<Authorizer> authz_;
};

TEST_F(AuthzTest, AGrantCoversRouteFieldAndPurpose) {
  Decision d = authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud"));
  EXPECT_TRUE(d.allowed) << d.message;
  EXPECT_EQ(d.http_status, 200);
  EXPECT_EQ(d.role, "fraud-analyst");
  d = authz_->Authorize(Req(kKim, "transfers", "$scan.email", "chargeback"));
  EXPECT_TRUE(d.allowed) << d.message;
  // kim is in two roles: their grants add up.
  d = authz_->Authorize(Req(kKim, "users", "user.phone", "support"));
  EXPECT_TRUE(d.allowed) << d.message;
  EXPECT_EQ(d.role, "support");
}

TEST_F(AuthzTest, SubjectsMatchExactly) {
  for (const char* s : {"CN=kim", "CN=kim,OU=fraud,O=Example,C=KR", "cn=kim,ou=fraud,o=Example",
                        "CN=kim, OU=fraud, O=Example", "O=Example,OU=fraud,CN=kim", ""}) {
    Decision d = authz_->Authorize(Req(s, "transfers", "sender.email", "fraud"));
    EXPECT_FALSE(d.allowed) << s;
    EXPECT_EQ(d.http_status, 403) << s;
    EXPECT_EQ(d.code, ErrorCode::kRevealDenied) << s;
    EXPECT_TRUE(d.role.empty()) << s;
  }
}

TEST_F(AuthzTest, ARoleWithoutTheFieldRouteOrPurposeIsDenied) {
  struct Case {
    const char* what;
    AccessRequest r;
  };
  for (const Case& c : {Case{"another field", Req(kKim, "transfers", "sender.phone", "fraud")},
                        Case{"another route", Req(kKim, "payments", "sender.email", "fraud")},
                        Case{"another purpose", Req(kKim, "transfers", "sender.email", "support")},
                        Case{"lee on transfers", Req(kLee, "transfers", "sender.email", "fraud")}}) {
    Decision d = authz_->Authorize(c.r);
    EXPECT_FALSE(d.allowed) << c.what;
    EXPECT_EQ(d.http_status, 403) << c.what;
    EXPECT_EQ(d.code, ErrorCode::kRevealDenied) << c.what;
    EXPECT_FALSE(d.message.empty()) << c.what;
  }
}

TEST_F(AuthzTest, TicketAndValueCount) {
  AccessRequest r = Req(kKim, "transfers", "sender.email", "fraud");
  // A ticket that says nothing (found by reviews: " ", then "-", was
  // revealed to).
  for (const char* blank : {"", " ", "\t\u3000", "\u200b", "-", ".", "_", "--", "\u2014", "\xff\xfe", "\u2026",
                            "\u2022", "\u3002", "\u203b", "\u2192", "\U0001F600", "\uff3f", "\u30fb", "\u2116",
                            // Hangul fillers, modifier letters (a re-review)
                            "\u3164", "\uffa0", "\u115f", "\u1160", "\u02c6", "\u02bc", "\u0640", "\u30fc"}) {
    r.ticket = blank;
    Decision d = authz_->Authorize(r);
    EXPECT_FALSE(d.allowed) << blank;
    EXPECT_EQ(d.http_status, 400);
    EXPECT_EQ(d.code, ErrorCode::kInvalidArgument);
  }
  for (const char* ticket : {"SEC-1", "T", "7", "보안-12", "ΑΒΓ", "#42", "é", "ß", "Ł", "٣"})
    EXPECT_FALSE(TicketMissing(ticket)) << ticket;
  Decision d = authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 6));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.http_status, 400);
  EXPECT_NE(d.message.find("at most 5"), std::string::npos) << d.message;
  EXPECT_TRUE(authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 5)).allowed);
}

TEST_F(AuthzTest, RequestsPerMinutePerSubject) {
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(authz_->Admit(kKim).allowed);
  Decision d = authz_->Admit(kKim);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.http_status, 429);
  EXPECT_EQ(d.code, ErrorCode::kRevealRateLimited);
  EXPECT_EQ(d.retry_after_s, 15);  // 4 per minute: one every 15 s
  // Another subject has its own bucket, with a role or without.
  EXPECT_TRUE(authz_->Admit(kLee).allowed);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(authz_->Admit("CN=mallory").allowed);
  EXPECT_FALSE(authz_->Admit("CN=mallory").allowed);
  now_ += std::chrono::seconds(14);
  EXPECT_FALSE(authz_->Admit(kKim).allowed);
  now_ += std::chrono::seconds(15);
  EXPECT_TRUE(authz_->Admit(kKim).allowed);
}

TEST_F(AuthzTest, CoversIsTheGrantAlone) {
  EXPECT_TRUE(authz_->Covers(kKim, "transfers", "sender.email", "fraud"));
  EXPECT_FALSE(authz_->Covers(kKim, "transfers", "sender.email", "support"));
  EXPECT_FALSE(authz_->Covers(kKim, "users", "sender.email", "fraud"));
  EXPECT_FALSE(authz_->Covers("CN=mallory", "transfers", "sender.email", "fraud"));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(authz_->Covers(kKim, "transfers", "sender.email", "fraud"));  // no bucket
}

TEST_F(AuthzTest, ValuesPerMinutePerSubject) {
  EXPECT_TRUE(authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 5)).allowed);
  EXPECT_TRUE(authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 4)).allowed);
  Decision d = authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 2));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.http_status, 429);
  EXPECT_EQ(d.retry_after_s, 6);  // 10 per minute: 1 missing = 6 s
  now_ += std::chrono::seconds(6);
  EXPECT_TRUE(authz_->Authorize(Req(kKim, "transfers", "sender.email", "fraud", 2)).allowed);
}

TEST_F(AuthzTest, UnauthenticatedAttemptsRecordedPerPeerUpToTheLimit) {
  EXPECT_TRUE(authz_->RecordUnauthenticated("10.0.0.1"));
  EXPECT_TRUE(authz_->RecordUnauthenticated("10.0.0.1"));
  EXPECT_FALSE(authz_->RecordUnauthenticated("10.0.0.1"));
  EXPECT_TRUE(authz_->RecordUnauthenticated("10.0.0.2"));
  now_ += std::chrono::seconds(30);
  EXPECT_TRUE(authz_->RecordUnauthenticated("10.0.0.1"));
}

// Many addresses cannot fill the trail either: all peers together are
// recorded at most unauthenticated_audits_total_per_minute times a minute.
TEST_F(AuthzTest, UnauthenticatedAttemptsRecordedFromAllPeersUpToTheTotal) {
  AuthzOptions o = Options();
  o.unauthenticated_audits_total_per_minute = 5;
  auto a = Authorizer::Create(o, [this] { return now_; });
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  int recorded = 0;
  for (int i = 0; i < 200; ++i)
    for (int k = 0; k < 3; ++k) recorded += (*a)->RecordUnauthenticated("10.1." + std::to_string(i) + ".1");
  EXPECT_EQ(recorded, 5);
  // Refilled at the total's rate (5 a minute: one every 12 s), whatever the peer.
  now_ += std::chrono::seconds(12);
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.2.0.1"));
  EXPECT_FALSE((*a)->RecordUnauthenticated("10.2.0.2"));
  // A peer refused by the total kept its own budget.
  now_ += std::chrono::seconds(60);
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.1.199.1"));
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.1.199.1"));
  EXPECT_FALSE((*a)->RecordUnauthenticated("10.1.199.1"));
  // Zero: nothing recorded.
  o.unauthenticated_audits_total_per_minute = 0;
  auto none = Authorizer::Create(o, [this] { return now_; });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->RecordUnauthenticated("10.3.0.1"));
  o.unauthenticated_audits_total_per_minute = -1;
  EXPECT_FALSE(Authorizer::Create(o).ok());
}

// An IPv6 host commonly holds a whole /64: its addresses share one budget.
TEST_F(AuthzTest, UnauthenticatedIpv6PeersAreCountedBy64) {
  EXPECT_EQ(PeerGroup("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerGroup("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerGroup("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(PeerGroup("::ffff:10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(PeerGroup("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(PeerGroup(""), "");
  EXPECT_EQ(PeerGroup("not an address"), "not an address");
  EXPECT_TRUE(authz_->RecordUnauthenticated("2001:db8:1:2::1"));
  EXPECT_TRUE(authz_->RecordUnauthenticated("2001:db8:1:2::2"));
  EXPECT_FALSE(authz_->RecordUnauthenticated("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(authz_->RecordUnauthenticated("2001:db8:1:3::1"));  // another /64
  EXPECT_TRUE(authz_->RecordUnauthenticated("::ffff:10.0.0.9"));
  EXPECT_TRUE(authz_->RecordUnauthenticated("10.0.0.9"));
  EXPECT_FALSE(authz_->RecordUnauthenticated("10.0.0.9"));  // the same peer as ::ffff:10.0.0.9
}

// A stream of new addresses does not reset the budget of the peers seen
// before it: a full table forgets only buckets that have refilled.
TEST_F(AuthzTest, AFullPeerTableResetsNobodysBudget) {
  AuthzOptions o = Options();
  o.unauthenticated_audits_total_per_minute = 100000;
  auto a = Authorizer::Create(o, [this] { return now_; });
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.0.0.1"));
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.0.0.1"));
  EXPECT_FALSE((*a)->RecordUnauthenticated("10.0.0.1"));
  for (size_t i = 0; i < Authorizer::kMaxBuckets + 10; ++i)
    (void)(*a)->RecordUnauthenticated("fd00:" + std::to_string(i % 10000) + ":" + std::to_string(i / 10000) + "::1");
  EXPECT_FALSE((*a)->RecordUnauthenticated("10.0.0.1"));
  // Full of buckets in use: a new peer is not recorded (counted only).
  EXPECT_FALSE((*a)->RecordUnauthenticated("10.0.0.2"));
  // Once they have refilled they are forgotten, and new peers are recorded.
  now_ += std::chrono::seconds(61);
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.0.0.2"));
  EXPECT_TRUE((*a)->RecordUnauthenticated("10.0.0.1"));
}

TEST_F(AuthzTest, AFullSubjectTableResetsNobodysRequestRate) {
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(authz_->Admit(kKim).allowed);
  EXPECT_FALSE(authz_->Admit(kKim).allowed);
  for (size_t i = 0; i <= Authorizer::kMaxBuckets; ++i) (void)authz_->Admit("CN=s" + std::to_string(i));
  EXPECT_FALSE(authz_->Admit(kKim).allowed);
  Decision d = authz_->Admit("CN=newcomer");
  EXPECT_EQ(d.http_status, 429);
  EXPECT_NE(d.message.find("too many subjects"), std::string::npos) << d.message;
  now_ += std::chrono::seconds(61);
  EXPECT_TRUE(authz_->Admit("CN=newcomer").allowed);
  EXPECT_TRUE(authz_->Admit(kKim).allowed);
}

TEST(AuthzCreate, RefusesBadRoles) {
  auto with = [](auto edit) {
    AuthzOptions o = Options();
    edit(o);
    return Authorizer::Create(o);
  };
  EXPECT_TRUE(with([](AuthzOptions&) {}).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.roles[0].subjects.clear(); }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.roles[0].grants.clear(); }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.roles[0].grants[0].fields.clear(); }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.roles[0].grants[0].purposes = {"curiosity"}; }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.roles[1].name = o.roles[0].name; }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.max_values_per_request = 0; }).ok());
  EXPECT_FALSE(with([](AuthzOptions& o) { o.requests_per_minute = 0; }).ok());
  auto bad = with([](AuthzOptions& o) { o.roles[0].grants[0].purposes = {"curiosity"}; });
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(bad.error().message.find("curiosity"), std::string::npos);
}

}  // namespace
}  // namespace maskproxy::reveal
