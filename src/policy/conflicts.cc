// The conflicts between routes (also of several files loaded together):
// what app::CheckRoutes reports for `maskproxy run`, `mask` and `policy
// check`, and Policy::Parse for the routes of a file that has other errors,
// so that one pass reports them all.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/text.h"
#include "policy/policy.h"

namespace maskproxy::policy {
namespace {

using RouteAt = PlacedRoute;

std::string Where(const RouteAt& r, const Route::Mark& m) {
  return *r.origin + ":" + std::to_string(m.line) + ":" + std::to_string(m.column);
}

// One located line (text::Located), whatever the route and topic names hold.
Error Conflict(const RouteAt& r, const Route::Mark& m, const std::string& msg) {
  return Error(ErrorCode::kPolicyConflict,
               text::Located(*r.origin, m.line, m.column, "route" + text::Shown(r.route->name) + ": " + msg));
}

// An output topic and the route line that names it.
struct Output {
  RouteAt at;
  const char* key;  // "to" or "dead_letter"
  const Route::Mark* mark;
};

std::string Describe(const Output& o) {
  return std::string("the '") + o.key + "' of route" + text::Shown(o.at.route->name) + " (" + Where(o.at, *o.mark) +
         ")";
}

}  // namespace

std::vector<Error> RouteConflicts(const std::vector<PlacedRoute>& routes, bool repeats) {
  // Output topics in route order; the first route naming a topic is the one
  // reported.
  std::map<std::string, Output> outputs;
  for (const auto& r : routes) {
    outputs.emplace(r.route->to, Output{r, "to", &r.route->to_at});
    outputs.emplace(r.route->dead_letter, Output{r, "dead_letter", &r.route->dead_letter_at});
  }
  std::set<std::string> output_topics;
  for (const auto& [topic, out] : outputs) output_topics.insert(topic);
  std::vector<Error> errors;
  // The files' pattern routes together, as each file's alone (policy.h).
  size_t pattern_routes = 0, pattern_program = 0;
  for (const auto& r : routes) {
    if (!repeats || !r.route->from_is_pattern()) continue;
    ++pattern_routes;
    pattern_program += r.route->from_program;
    if (pattern_routes > kMaxPatternRoutes || pattern_program > kMaxPatternRoutesProgram) {
      const Route::Mark& m = r.route->from_at;
      errors.push_back(
          Error(ErrorCode::kPolicyInvalid,
                text::Located(
                    *r.origin, m.line, m.column,
                    "route" + text::Shown(r.route->name) + ": this route's 'from' pattern makes " +
                        std::to_string(pattern_routes) + " pattern routes of about " + std::to_string(pattern_program) +
                        " RE2 instructions together in the policy files; at most " + std::to_string(kMaxPatternRoutes) +
                        " pattern routes and " + std::to_string(kMaxPatternRoutesProgram) +
                        " instructions for all of them (name topics exactly, or merge patterns)")));
      return errors;
    }
  }
  std::map<std::string, RouteAt> sources;
  for (const auto& r : routes) {
    const Route& route = *r.route;
    if (auto [it, fresh] = sources.emplace(route.from, r); !fresh) {
      if (repeats)
        errors.push_back(Conflict(r, route.from_at,
                                  "source" + text::Shown(route.from) + " is also routed by route" +
                                      text::Shown(it->second.route->name) + " (" +
                                      Where(it->second, it->second.route->from_at) + ")"));
      continue;
    }
    if (!route.from_is_pattern()) {
      if (auto it = outputs.find(route.from); it != outputs.end())
        errors.push_back(Conflict(r, route.from_at,
                                  "source topic" + text::Shown(route.from) + " is " + Describe(it->second) +
                                      ": records would be read again"));
      continue;
    }
    // The pattern as the policy compiled it, tried on the output topics in
    // its possible range only (thousands of pattern routes against all
    // outputs made this minutes long).
    for (const auto& topic : MatchingTopics(route, output_topics))
      errors.push_back(Conflict(r, route.from_at,
                                "source pattern matches" + text::Shown(topic) + ", " + Describe(outputs.at(topic)) +
                                    ": records would be read again"));
  }
  // A route name is what a reveal grant and a reveal request name: one
  // route per name, and no name that is another route's source topic.
  std::map<std::string, RouteAt> names;
  for (const auto& r : routes)
    if (auto [it, fresh] = names.emplace(r.route->name, r); !fresh && repeats)
      errors.push_back(Conflict(r, r.route->from_at,
                                "route name" + text::Shown(r.route->name) + " is also the name of a route at " +
                                    Where(it->second, it->second.route->from_at) +
                                    ": reveal grants and requests name routes"));
  for (const auto& r : routes)
    if (auto it = sources.find(r.route->name);
        it != sources.end() && it->second.route != r.route && !it->second.route->from_is_pattern())
      errors.push_back(Conflict(r, r.route->from_at,
                                "route name" + text::Shown(r.route->name) + " is the source topic of route" +
                                    text::Shown(it->second.route->name) + " (" +
                                    Where(it->second, it->second.route->from_at) +
                                    "): a reveal naming it would be ambiguous"));
  // Raw dead letters must never land in a masked destination.
  std::map<std::string, RouteAt> destinations;
  for (const auto& r : routes) destinations.emplace(r.route->to, r);
  for (const auto& r : routes)
    if (auto it = destinations.find(r.route->dead_letter); it != destinations.end())
      errors.push_back(Conflict(r, r.route->dead_letter_at,
                                "dead-letter topic" + text::Shown(r.route->dead_letter) +
                                    " is the masked destination ('to') of route" + text::Shown(it->second.route->name) +
                                    " (" + Where(it->second, it->second.route->to_at) +
                                    "): raw records would reach it"));
  return errors;
}

}  // namespace maskproxy::policy
