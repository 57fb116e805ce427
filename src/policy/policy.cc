// Policy::Load/Parse: the orchestration of the sections (routes.cc,
// scan_section.cc, embedded_tests.cc), the policy's hash; route lookups.
#include "policy/policy.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "codec/path.h"
#include "common/file.h"
#include "common/text.h"
#include "common/unicode.h"
#include "common/yaml_doc.h"
#include "crypto/mac.h"
#include "policy/internal/sections.h"
#include "policy/internal/yaml_diag.h"

namespace maskproxy::policy {

using internal::CheckKeys;
using internal::Ctx;
using internal::Diag;
using internal::Env;
using internal::ParseRoute;
using internal::ParseScanning;
using internal::ParseTest;
using internal::RequireString;
using internal::UsesScanning;

namespace {

// Bounds on one file's routes and rules, aliases counted each time they are
// used (20,000 rules load in about 0.4 s: docs/BENCHMARKS.md).
constexpr size_t kMaxRoutes = 10000;
constexpr size_t kMaxRules = 100000;

// The rule entries of every route (a route's `rules` list), aliases counted
// each time they are used.
size_t RuleEntries(const YAML::Node& routes) {
  size_t n = 0;
  for (const auto& rn : routes)
    if (rn.IsMap())
      if (const YAML::Node r = rn["rules"]; r && r.IsSequence()) n += r.size();
  return n;
}

}  // namespace

const Route* Policy::FindRouteByName(std::string_view name) const {
  for (const auto& r : routes_)
    if (r.name == name) return &r;
  return nullptr;
}

const Route* Policy::FindRoute(std::string_view name_or_topic) const {
  for (const auto& r : routes_)
    if (r.name == name_or_topic) return &r;
  for (const auto& r : routes_)
    if (r.from == name_or_topic) return &r;
  for (const auto& r : routes_)
    if (r.from_is_pattern() && SourceMatches(r, name_or_topic)) return &r;
  return nullptr;
}

std::string Policy::Label() const {
  return name_ + "@" + std::to_string(version_) + "#" + hash_;
}

Result<std::shared_ptr<const Policy>> Policy::Load(const std::string& path, const crypto::Keyring& keys,
                                                   std::shared_ptr<crypto::UsageLedger> ledger) {
  auto text = file::ReadRegular(path, ErrorCode::kPolicyUnreadable, file::kMaxDocumentBytes);
  if (!text.ok())
    return Error(ErrorCode::kPolicyUnreadable, "cannot read policy file " + path + ": " + text.error().message);
  return Parse(*text, path, keys, std::move(ledger));
}

Result<std::shared_ptr<const Policy>> Policy::Parse(std::string_view yaml, const std::string& origin,
                                                    const crypto::Keyring& keys,
                                                    std::shared_ptr<crypto::UsageLedger> ledger) {
  Ctx c(origin);
  // YAML is Unicode text: bytes that are not UTF-8 would reach route names,
  // paths and topics as they are (and metrics, logs and the config dump
  // would each show them differently).
  auto mark_at = [&](size_t pos) {
    const std::string_view head = yaml.substr(0, pos);
    const size_t nl = head.rfind('\n');
    YAML::Mark m = YAML::Mark::null_mark();
    m.line = static_cast<int>(std::count(head.begin(), head.end(), '\n'));
    m.column = static_cast<int>(nl == std::string_view::npos ? pos : pos - nl - 1);
    return m;
  };
  if (const size_t bad = unicode::FirstInvalidUtf8(yaml); bad != std::string_view::npos)
    return c.At(mark_at(bad), "not UTF-8 text: a byte that is not UTF-8 (save the file as UTF-8)");
  // YAML allows no NUL byte; yaml-cpp reads one as the end of a line and
  // reports a misleading error on the next.
  if (const size_t nul = yaml.find('\0'); nul != std::string_view::npos)
    return c.At(mark_at(nul), "a NUL byte (YAML is text and allows none; remove it)");
  YAML::Node root;
  std::optional<YAML::Mark> second;
  std::vector<yamldoc::AliasUse> aliases;
  try {
    root = yamldoc::LoadOne(std::string(yaml), &second, nullptr, &aliases);
  } catch (const YAML::ParserException& e) {
    return c.At(e.mark, yamldoc::ParseErrorMessage(e, yaml));
  }
  if (second) return c.At(*second, yamldoc::kSecondDocument);
  {
    std::map<std::string, YAML::Mark> at;
    for (const auto& a : aliases) at.emplace(text::Join(a.path, "/"), a.mark);
    c.SetAliases(std::move(at));
  }
  if (!root.IsMap()) {
    // An empty document's root has no mark: it is at 1:1.
    YAML::Mark m = root.Mark();
    if (m.line < 0) m.line = m.column = 0;
    return c.At(m, "a policy must be a mapping with policy, version, routes");
  }
  try {
    Diag diag;
    CheckKeys(c, root, {"policy", "version", "description", "scan", "routes", "tests"}, "policy", diag);
    auto p = std::make_shared<Policy>();
    p->origin_ = origin;
    p->ledger_ = std::move(ledger);
    auto name = RequireString(c, root, "policy", "policy");
    if (!name.ok()) {
      diag.Add(name.error());
    } else if (auto flaw = codec::FindNameFlaw(*name)) {
      // The name is copied into every record's maskproxy.policy header, the
      // policy info metric and log lines: what a reader sees must be all of
      // it, as for a route's name.
      diag.Add(c.At(root["policy"], "policy name at character " + std::to_string(flaw->pos + 1) + ": " + flaw->what));
    } else if (text::MayBeKeyMaterial(*name) || text::MayBePersonalData(*name)) {
      // Found by review: `policy: "... 900101-1234567"` went into every
      // record's header and the logs.
      diag.Add(c.At(root["policy"], "policy name" + text::Shown(*name) +
                                        ": it is copied into every record's maskproxy.policy header, the metrics "
                                        "and the log; name the policy in words (payments, support-tickets)"));
    } else {
      p->name_ = *name;
    }
    YAML::Node ver = root["version"];
    long long v = 0;
    if (!ver)
      diag.Add(c.At(root, "missing 'version' (a positive whole number, raised on every change)"));
    else if (ver.IsScalar() && ver.Tag() == "!")
      // A template that quotes everything would change what is checked.
      diag.Add(c.At(ver, "'version' must be a whole number, not a string (write it without quotes)"));
    else if (!ver.IsScalar() || !YAML::convert<long long>::decode(ver, v) || v <= 0)
      diag.Add(c.At(ver, "'version' must be a positive whole number"));
    p->version_ = v;
    if (YAML::Node d = root["description"]; d && !d.IsScalar()) diag.Add(c.At(d, "'description' must be text"));
    YAML::Node routes = root["routes"];
    std::vector<Route> topic_routes;  // each route's valid topics, for RouteConflicts
    bool routes_ok = true;
    internal::PatternBudget pattern_budget;
    Env env{keys, p->ledger_.get(), nullptr, &pattern_budget};
    if (root["scan"] || UsesScanning(routes)) {
      env.scanning = ParseScanning(c, root["scan"], env, diag);
      p->scanning_ = env.scanning;
      if (!env.scanning) routes_ok = false;
    }
    if (!routes) {
      diag.Add(c.At(root, "missing 'routes' (a list of { from, to, dead_letter, rules })"));
    } else if (!routes.IsSequence() || routes.size() == 0) {
      diag.Add(c.At(routes, "'routes' must be a non-empty list"));
    } else if (const size_t rules = RuleEntries(routes); routes.size() > kMaxRoutes || rules > kMaxRules) {
      // YAML aliases repeat a node without its text: a few kilobytes can
      // name a million rules (found by review: seconds and hundreds of MB
      // to refuse one).
      diag.Add(c.At(routes, "the policy has " + std::to_string(routes.size()) + " routes and " + std::to_string(rules) +
                                " rules (YAML aliases counted each time they are used); at most " +
                                std::to_string(kMaxRoutes) + " routes and " + std::to_string(kMaxRules) +
                                " rules per file"));
    } else {
      // Two routes with one source or one name are reported whatever other
      // errors either has: they are read from the YAML, not from the
      // compiled routes.
      std::set<std::string> froms, names;
      size_t route_index = 0;
      for (const auto& rn : routes) {
        const std::string route_at = "routes/[" + std::to_string(route_index++) + "]";
        const bool is_map = rn.IsMap();
        YAML::Node from = is_map ? rn["from"] : YAML::Node();
        YAML::Node route_name = is_map ? rn["name"] : YAML::Node();
        const bool has_from = from && from.IsScalar() && !from.Scalar().empty();
        const bool has_name = route_name && route_name.IsScalar() && !route_name.Scalar().empty();
        bool twice = false;
        if (has_from && !froms.insert(from.Scalar()).second) {
          diag.Add(c.At(from, "topic" + text::Shown(from.Scalar()) + " has two routes"));
          twice = true;
        }
        // A route without a name is named after its source.
        const YAML::Node& named = has_name ? route_name : from;
        if ((has_name || (has_from && !route_name)) && !names.insert(named.Scalar()).second && !twice)
          diag.Add(c.At(named, "two routes are named" + text::Shown(named.Scalar())));
        std::optional<Route> topics;
        auto r = ParseRoute(c, rn, env, diag, route_at, &topics);
        if (topics) topic_routes.push_back(std::move(*topics));
        if (!r) {
          routes_ok = false;
          continue;
        }
        p->routes_.push_back(std::move(*r));
      }
      // Pattern routes listed after one that takes their topics first, with
      // each pattern as the route compiled it (at most kMaxPatternRoutes of
      // them: the pairs are quadratic).
      std::vector<size_t> patterns;
      for (size_t i = 0; i < p->routes_.size(); ++i)
        if (p->routes_[i].from_re) patterns.push_back(i);
      for (size_t pb = 0; pb < patterns.size(); ++pb) {
        const std::string t = internal::ShortestTopic(p->routes_[patterns[pb]]);
        if (t.empty()) continue;
        for (size_t pa = 0; pa < pb; ++pa)
          if (RE2::FullMatch(t, *p->routes_[patterns[pa]].from_re)) {
            const size_t a = patterns[pa];
            const Route& later = p->routes_[patterns[pb]];
            YAML::Mark m = YAML::Mark::null_mark();
            m.line = later.from_at.line - 1;
            m.column = later.from_at.column - 1;
            diag.Warn(c.At(m, "warning: route" + text::Shown(later.name) + " reads a topic such as" + text::Shown(t) +
                                  " that route" + text::Shown(p->routes_[a].name) +
                                  " listed before it takes first (among patterns the first that matches wins); "
                                  "list the more specific pattern first"));
            break;
          }
      }
    }
    if (YAML::Node tests = root["tests"]) {
      if (!tests.IsSequence()) {
        diag.Add(c.At(tests, "'tests' must be a list of { name, route, input, expect }"));
      } else {
        std::map<std::string, int> test_names;  // name -> line
        internal::TestBudget budget;
        size_t test_index = 0;
        for (const auto& tn : tests) {
          const YAML::Mark* alias = c.AliasAt("tests/[" + std::to_string(test_index++) + "]");
          // Names are compared as written, whatever other errors a test has:
          // PASS and FAIL lines name a test by its name.
          bool twice = false;
          if (const YAML::Node n = tn.IsMap() ? tn["name"] : YAML::Node(); n && n.IsScalar() && !n.Scalar().empty()) {
            const YAML::Mark at = alias ? *alias : n.Mark();
            auto [it, fresh] = test_names.emplace(n.Scalar(), at.line + 1);
            if (!fresh) {
              diag.Add(c.At(at, "two tests are named" + text::Shown(n.Scalar()) + " (lines " +
                                    std::to_string(it->second) + " and " + std::to_string(at.line + 1) + ")"));
              twice = true;
            }
          }
          // Route names are only checked against a fully valid route list.
          static const std::vector<Route> kNone;
          auto t = ParseTest(c, tn, routes_ok ? p->routes_ : kNone, &budget);
          if (!t.ok()) {
            diag.Add(t.error());
            continue;
          }
          if (twice) continue;
          p->tests_.push_back(std::move(t).value());
        }
      }
    }
    if (!diag.empty()) {
      // The conflicts between this file's routes (a dead-letter topic that
      // is another route's destination, ...) are app::CheckRoutes' once the
      // file compiles; until then they are reported here beside the other
      // errors (found by review: two routes of one name hid them).
      std::vector<PlacedRoute> placed;
      placed.reserve(topic_routes.size());
      for (const auto& r : topic_routes) placed.push_back({&c.origin(), &r});
      for (const auto& e : RouteConflicts(placed, /*repeats=*/false)) diag.Add(e);
      return diag.Combined();
    }
    p->warnings_ = diag.warnings();
    for (const auto& r : p->routes_)
      for (const auto& rule : r.rules) p->encrypts_ = p->encrypts_ || rule.action->CountsEncryptions();
    if (p->scanning_)
      for (const auto& da : p->scanning_->actions())
        p->encrypts_ = p->encrypts_ || (da.action && da.action->CountsEncryptions());
    auto d = crypto::Sha256(yaml);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 6; ++i) {
      p->hash_.push_back(kHex[d[i] >> 4]);
      p->hash_.push_back(kHex[d[i] & 15]);
    }
    return std::shared_ptr<const Policy>(std::move(p));
  } catch (const YAML::Exception& e) {
    return c.At(e.mark, e.msg);
  }
}

}  // namespace maskproxy::policy
