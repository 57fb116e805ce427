#include "pipeline/partition_watch.h"

#include <charconv>

#include "codec/json.h"
#include "codec/path.h"

namespace maskproxy::pipeline {
namespace {

// Collects topics.<topic>.partitions.<n>.{fetch_state,desired} from the
// statistics document's leaves (codec's UnlistedMode::kVisit).
class StatsVisitor final : public codec::ValueRewriter {
 public:
  Status Rewrite(int32_t, const codec::ScalarRef&, std::string*) override { return Status::Ok(); }
  Status RewriteUnlisted(const codec::ScalarRef& value, std::span<const codec::PathStep> path, std::string*,
                         bool* changed) override {
    *changed = false;
    if (path.size() != 5 || path[0].key != "topics" || path[2].key != "partitions") return Status::Ok();
    const std::string_view field = path[4].key;
    if (field != "fetch_state" && field != "desired") return Status::Ok();
    const std::string_view number = path[3].key;
    int32_t partition = -1;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), partition);
    if (ec != std::errc() || end != number.data() + number.size())
      return Error(ErrorCode::kInvalidJson, "statistics: a partition key is not a number");
    if (partition < 0) return Status::Ok();  // librdkafka's internal unassigned partition
    FetchState& p = parts[{std::string(path[1].key), partition}];
    if (field == "fetch_state" && value.type == codec::JsonType::kString) p.state = std::string(value.text);
    if (field == "desired") p.desired = value.type == codec::JsonType::kBool && value.raw == "true";
    return Status::Ok();
  }
  std::map<std::pair<std::string, int32_t>, FetchState> parts;
};

}  // namespace

Result<std::vector<FetchState>> ParseFetchStates(std::string_view stats_json) {
  codec::PathSet none;
  none.set_unlisted(codec::UnlistedMode::kVisit);
  StatsVisitor visitor;
  std::string out;
  auto r = codec::RewriteJson(stats_json, none, codec::JsonLimits{}, visitor, &out);
  if (!r.ok()) return r.error();
  std::vector<FetchState> parts;
  parts.reserve(visitor.parts.size());
  for (auto& [key, p] : visitor.parts) {
    p.topic = key.first;
    p.partition = key.second;
    parts.push_back(std::move(p));
  }
  return parts;
}

bool IsFetching(std::string_view s) {
  return s == "active" || s == "offset-query" || s == "offset-wait" || s == "validate-epoch-wait";
}

std::set<std::pair<std::string, int32_t>> NotFetching(const std::vector<FetchState>& parts) {
  std::set<std::pair<std::string, int32_t>> idle;
  for (const FetchState& p : parts)
    if (p.desired && !IsFetching(p.state)) idle.insert({p.topic, p.partition});
  return idle;
}

void PartitionWatch::Forget(const std::vector<Key>& keys) {
  for (const Key& k : keys) {
    first_seen_.erase(k);
    reported_.erase(k);
  }
}

std::vector<PartitionWatch::Key> PartitionWatch::Observe(Clock::time_point now, const std::vector<FetchState>& parts,
                                                         bool report) {
  const std::set<Key> idle = NotFetching(parts);
  std::erase_if(first_seen_, [&](const auto& e) { return !idle.count(e.first); });
  std::erase_if(reported_, [&](const auto& e) { return !idle.count(e.first); });
  std::vector<Key> stuck;
  for (const Key& k : idle) {
    const Clock::time_point since = first_seen_.try_emplace(k, now).first->second;
    if (!report || now - since < stuck_after_) continue;
    auto r = reported_.find(k);
    if (r != reported_.end() && now - r->second < stuck_after_) continue;
    reported_[k] = now;
    stuck.push_back(k);
  }
  return stuck;
}

std::chrono::milliseconds PartitionWatch::Idle(const Key& key, Clock::time_point now) const {
  auto it = first_seen_.find(key);
  if (it == first_seen_.end()) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second);
}

}  // namespace maskproxy::pipeline
