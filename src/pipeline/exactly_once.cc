#include "pipeline/exactly_once.h"

#include <algorithm>

#include "common/log.h"

namespace maskproxy::pipeline {
namespace {

constexpr int kAbortCallTimeoutMs = 1000;  // abort is resumable: short calls keep shutdown responsive
// init_transactions is resumable too: the first call at start is short, so an
// unanswered one is on /readyz (broker_unreachable) soon.
constexpr int kFirstInitCallTimeoutMs = 2000;
// A producer replaced this often without a commit in between is not
// recovering: stop with the error.
constexpr int kMaxRecoveriesWithoutCommit = 3;

}  // namespace

ExactlyOnce::~ExactlyOnce() {
  if (commit_thread_.joinable()) commit_thread_.join();
  for (auto& p : backlog_) rd_kafka_headers_destroy(p.hdrs);
}

void ExactlyOnce::FixedProducerProperties(std::vector<std::pair<const char*, std::string>>* props) const {
  props->push_back({"transactional.id", ctx_.opt.transactional_id});
  props->push_back({"transaction.timeout.ms", std::to_string(ctx_.opt.transaction_timeout_ms)});
}

Status ExactlyOnce::Start() {
  // Nothing is open yet: a stop requested while the brokers do not answer
  // ends the retries after the call under way (no second attempt), and
  // the start, cleanly; a fatal or non-retriable error stays fatal.
  // While the call goes unanswered (a wrong address, brokers down),
  // readiness names the brokers (broker_unreachable), as the output-topic
  // check does once running; cleared by the first answer.
  auto note = [&](const rd_kafka_error_t* err) {
    const bool unanswered = err && rd_kafka_error_is_retriable(err) && !rd_kafka_error_is_fatal(err);
    std::lock_guard<std::mutex> lock(ctx_.health.mu);
    ctx_.health.brokers_unreachable =
        unanswered ? std::string("init_transactions: ") + rd_kafka_error_name(err) : std::string();
  };
  // Retried without a deadline (found by review: with brokers down at start
  // the proxy exited after ~140 s, twice the transaction timeout, although
  // librdkafka said "retry call to resume"): nothing is open yet, so unlike
  // a commit or an abort there is nothing a coordinator could abort behind
  // our back; only a stop, a fatal or a non-retriable error ends it. The
  // first call is short, so that readiness names the brokers within seconds.
  int call = 0;
  ErrorPtr e = Retry(
      "init_transactions",
      [&] {
        rd_kafka_error_t* err = ctx_.kafka->InitTransactions(call++ == 0 ? kFirstInitCallTimeoutMs : kCallTimeoutMs);
        note(err);
        return err;
      },
      false,
      /*attempts_after_stop=*/1, /*until_stopped=*/true);
  if (e && !rd_kafka_error_is_fatal(e.get()) && rd_kafka_error_is_retriable(e.get()) && ctx_.stop_flag &&
      ctx_.stop_flag->load()) {
    ctx_.start_interrupted = true;
    log::Info("start_interrupted", {{"call", "init_transactions"}, {"error", rd_kafka_error_name(e.get())}});
  }
  if (e) return FatalFrom(ctx_.producer, "init_transactions", e.get());
  ctx_.audit.TrackTransactions();
  log::Info("transactions_ready", {{"transactional_id", ctx_.opt.transactional_id}});
  return Status::Ok();
}

// Runs a transactional call, retrying while the error is retriable.
template <typename F>
ErrorPtr ExactlyOnce::Retry(const char* what, F call, bool also_abortable, int attempts_after_stop,
                            bool until_stopped) {
  // A transaction that cannot finish within twice its timeout will not
  // finish: the coordinator has aborted it. Give up then (unless
  // `until_stopped`: init_transactions at start, with no transaction), or
  // once `attempts_after_stop` attempts were made with a stop requested, and
  // let the caller treat the error as fatal (a restarted instance fences
  // what is left).
  const auto deadline = Clock::now() + std::chrono::milliseconds(2 * ctx_.opt.transaction_timeout_ms);
  for (int attempt = 1;; ++attempt) {
    ErrorPtr e(call());
    if (!e || rd_kafka_error_is_fatal(e.get())) return e;
    const bool again =
        rd_kafka_error_is_retriable(e.get()) || (also_abortable && rd_kafka_error_txn_requires_abort(e.get()));
    if (!again) return e;
    log::Warn("txn_retry", {{"call", what},
                            {"attempt", std::to_string(attempt)},
                            {"error", rd_kafka_error_name(e.get())},
                            {"detail", rd_kafka_error_string(e.get())}});
    if ((!until_stopped && Clock::now() >= deadline) ||
        (ctx_.stop_flag && ctx_.stop_flag->load() && attempt >= attempts_after_stop))
      return e;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 1000)));
  }
}

Status ExactlyOnce::BeginTxn() {
  ErrorPtr e(ctx_.kafka->BeginTransaction());
  if (e) {
    // A producer replaced here had no transaction open: begin on the new one.
    if (Status s = FatalOrRecover("begin_transaction", e.get()); !s.ok()) return s;
    e.reset(ctx_.kafka->BeginTransaction());
    if (e) return FatalFrom(ctx_.producer, "begin_transaction", e.get());
  }
  txn_open_ = true;
  txn_started_ = Clock::now();
  txn_records_ = 0;
  return Status::Ok();
}

// Aborts the open transaction; with rewind, seeks every partition consumed
// in it back to its first offset so those records are processed again.
Status ExactlyOnce::AbortTxn(bool rewind) {
  // Short calls, resumed while retriable; the abort itself can also fail
  // abortably (EndTxn(abort) refused by a broker in trouble), and is then
  // called again. Bounded by Retry's deadline and by a stop request.
  ErrorPtr e = Retry(
      "abort_transaction",
      [&] {
        // Serve delivery reports first: abort waits for outstanding
        // messages, whose reports are only delivered by polling.
        ctx_.kafka->Poll(0);
        return ctx_.kafka->AbortTransaction(kAbortCallTimeoutMs);
      },
      /*also_abortable=*/true);
  txn_open_ = false;
  ctx_.counters.aborted.Inc();
  // Everything processed since the last commit is consumed again (or, on
  // stop, after a restart): counted when it commits then.
  const uint64_t replayed = ctx_.counters.tally.Drop();
  ctx_.counters.replayed.Inc(replayed);
  ctx_.audit.TopicTxnAborted();
  // Stopping (no rewind): a replaced producer would serve nothing more.
  if (e)
    return rewind ? FatalOrRecover("abort_transaction", e.get())
                  : FatalFrom(ctx_.producer, "abort_transaction", e.get());
  if (rewind && !txn_offsets_.empty()) {
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(txn_offsets_.size())));
    for (const auto& [k, span] : txn_offsets_)
      rd_kafka_topic_partition_list_add(list.get(), k.topic.c_str(), k.partition)->offset = span.first;
    if (Status ss = SeekTo(ctx_, list.get(), "seek after abort"); !ss.ok()) return ss;
    NoteRewound(list.get());
  }
  txn_offsets_.clear();
  log::Warn("transaction_aborted", {{"records_replayed", std::to_string(replayed)}});
  return Status::Ok();
}

// An error a transactional call ended with: the pipeline stops, unless the
// producer can be replaced, which keeps the transactional.id ours:
//   - a fatal error that leaves the id ours (ProducerFatalIsRecoverable);
//   - a retriable (or, for an abort, abortable) error that Retry gave up on
//     at its deadline: the producer is stuck (found by review: the broker
//     killed twice within a transaction timeout left an abort that could not
//     flush messages no broker would acknowledge, _TIMED_OUT for 25 s, and
//     the proxy exited). Not while stopping: a restarted instance fences it.
// At most kMaxRecoveriesWithoutCommit times in a row without a commit.
Status ExactlyOnce::FatalOrRecover(const char* call, const rd_kafka_error_t* e) {
  char buf[256];
  const bool fatal = rd_kafka_error_is_fatal(e);
  const bool stopping = ctx_.stop_flag && ctx_.stop_flag->load();
  const bool recoverable = fatal
                               ? ProducerFatalIsRecoverable(rd_kafka_fatal_error(ctx_.producer, buf, sizeof buf))
                               : !stopping && (rd_kafka_error_is_retriable(e) || rd_kafka_error_txn_requires_abort(e));
  if (!recoverable || recoveries_since_commit_ >= kMaxRecoveriesWithoutCommit || !ctx_.recreate_producer)
    return FatalFrom(ctx_.producer, call, e);
  return RecoverProducer(call, e);
}

// Replaces the producer with a new one of the same transactional.id.
// init_transactions on it bumps the epoch: the coordinator completes a
// commit the old producer had already prepared, and aborts anything else it
// left open. Whether the open transaction committed is then in the group's
// committed offsets: every partition it (or the backlog) consumed is
// rewound to them (never before the transaction's first offset), so its
// records are processed again exactly when they were not committed.
Status ExactlyOnce::RecoverProducer(const char* call, const rd_kafka_error_t* why) {
  char buf[256];
  const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(ctx_.producer, buf, sizeof buf);
  const bool fatal = orig != RD_KAFKA_RESP_ERR_NO_ERROR;
  log::Warn("producer_recreated",
            {{"call", call},
             {"error", fatal ? rd_kafka_err2name(orig) : rd_kafka_error_name(why)},
             {"detail", fatal ? "the producer failed without being fenced; a new one takes over its "
                                "transactional.id and the open transaction's records are replayed"
                              : "the call did not complete within twice the transaction timeout; a new producer "
                                "takes over its transactional.id and the open transaction's records are replayed"}});
  if (committing_) {
    commit_thread_.join();
    committing_ = false;
  }
  for (auto& p : backlog_) {
    txn_offsets_.try_emplace(PartitionKey{p.topic, p.partition}, Span{p.offset, p.offset + 1});
    rd_kafka_headers_destroy(p.hdrs);
  }
  backlog_.clear();
  backlog_bytes_ = 0;
  txn_open_ = false;
  ctx_.counters.replayed.Inc(ctx_.counters.tally.Drop());
  ctx_.audit.TopicTxnAborted();
  ++recoveries_since_commit_;
  ctx_.counters.producers_recreated.Inc();
  if (Status s = ctx_.recreate_producer(); !s.ok()) return s;
  ErrorPtr e = Retry("init_transactions", [&] { return ctx_.kafka->InitTransactions(kCallTimeoutMs); });
  if (e) return FatalFrom(ctx_.producer, "init_transactions (new producer)", e.get());
  if (!txn_offsets_.empty()) {
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(txn_offsets_.size())));
    for (const auto& [k, span] : txn_offsets_)
      rd_kafka_topic_partition_list_add(list.get(), k.topic.c_str(), k.partition)->offset = span.first;
    ListPtr committed(rd_kafka_topic_partition_list_copy(list.get()));
    if (rd_kafka_resp_err_t ce = ctx_.kafka->Committed(committed.get(), kCallTimeoutMs); ce)
      return Error(ErrorCode::kKafkaFatal,
                   std::string("reading committed offsets after replacing the producer: ") + rd_kafka_err2str(ce));
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& c = committed->elems[i];
      if (c.err)
        return Error(ErrorCode::kKafkaFatal, std::string("reading the committed offset of ") + c.topic + ":" +
                                                 std::to_string(c.partition) + ": " + rd_kafka_err2str(c.err));
      if (c.offset >= 0) list->elems[i].offset = std::max(list->elems[i].offset, c.offset);
    }
    if (Status ss = SeekTo(ctx_, list.get(), "seek after replacing the producer"); !ss.ok()) return ss;
    NoteRewound(list.get());
  }
  txn_offsets_.clear();
  log::Info("transactions_ready", {{"transactional_id", ctx_.opt.transactional_id}, {"producer", "replaced"}});
  return Status::Ok();
}

// The offsets of the open transaction; built on the main thread (with the
// group metadata, they read the consumer).
ListPtr ExactlyOnce::TxnOffsetList() {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(txn_offsets_.size()) + 1));
  for (const auto& [k, span] : txn_offsets_)
    rd_kafka_topic_partition_list_add(list.get(), k.topic.c_str(), k.partition)->offset = span.next;
  return list;
}

// send_offsets_to_transaction + commit_transaction, retrying retriable
// errors. Touches only the producer: safe on the commit thread.
ExactlyOnce::CommitOutcome ExactlyOnce::CommitCalls(rd_kafka_topic_partition_list_t* offsets,
                                                    rd_kafka_consumer_group_metadata_t* cgmd) {
  CommitOutcome out;
  if (offsets->cnt > 0) {
    out.err = Retry("send_offsets_to_transaction",
                    [&] { return ctx_.kafka->SendOffsetsToTransaction(offsets, cgmd, kCallTimeoutMs); });
    if (out.err) {
      out.call = "send_offsets_to_transaction";
      return out;
    }
  }
  out.err = Retry("commit_transaction", [&] { return ctx_.kafka->CommitTransaction(kCallTimeoutMs); });
  if (out.err) out.call = "commit_transaction";
  return out;
}

// Applies a commit's outcome: closes the transaction, or aborts and
// rewinds (abortable), or returns the fatal error.
Status ExactlyOnce::CommitDone(CommitOutcome out) {
  if (out.err) {
    const rd_kafka_error_t* e = out.err.get();
    if (!rd_kafka_error_txn_requires_abort(e)) return FatalOrRecover(out.call, e);
    log::Warn("transaction_failed",
              {{"call", out.call}, {"error", rd_kafka_error_name(e)}, {"detail", rd_kafka_error_string(e)}});
    ctx_.backoff.Fail();
    // The backlog was consumed after the aborted transaction: drop it and
    // make sure the rewind covers its partitions too.
    for (auto& p : backlog_) {
      txn_offsets_.try_emplace(PartitionKey{p.topic, p.partition}, Span{p.offset, p.offset + 1});
      rd_kafka_headers_destroy(p.hdrs);
    }
    backlog_.clear();
    backlog_bytes_ = 0;
    return AbortTxn(/*rewind=*/true);
  }
  txn_open_ = false;
  txn_offsets_.clear();
  ctx_.audit.TopicTxnCommitted();
  recoveries_since_commit_ = 0;
  ctx_.backoff.Reset();
  ctx_.counters.committed.Inc();
  ctx_.counters.tally.Commit();
  log::Debug("transaction_committed", {{"records", std::to_string(txn_records_)}});
  return Status::Ok();
}

// Commits the open transaction and waits for it. Abortable failures abort
// and rewind (not an error for the caller); fatal ones are returned.
Status ExactlyOnce::CommitTxn() {
  if (committing_)
    if (Status f = FinishCommit(); !f.ok()) return f;
  if (!txn_open_) return Status::Ok();
  if (Status a = AuditOrAbort(); !a.ok() || !txn_open_) return a;
  ctx_.audit.TopicTxnCommitting();
  ctx_.counters.tally.Seal();
  ListPtr list = TxnOffsetList();
  CgmdPtr cgmd(ctx_.kafka->GroupMetadata());
  return CommitDone(CommitCalls(list.get(), cgmd.get()));
}

// Before the open transaction commits: its dead letters' summary (or the
// interval's) into the audit trail and the audit topic. If the trail cannot
// write, or the summary cannot be produced, the transaction is aborted and
// its records rewound (txn_open_ is false afterwards); only a fatal error
// is returned.
Status ExactlyOnce::AuditOrAbort() {
  Status a = AuditBeforeCommit(ctx_, 0, /*flush=*/false);
  if (a.ok()) return a;
  if (a.error().code != ErrorCode::kAuditFailed) {
    log::Warn("produce_refused", {{"error", a.error().message}});
    ctx_.backoff.Fail();
  }
  return AbortTxn(/*rewind=*/true);
}

// Starts committing the open transaction on the commit thread.
void ExactlyOnce::StartCommit() {
  ctx_.audit.TopicTxnCommitting();
  // The records counted so far are this transaction's; those masked while
  // it commits (the backlog) are the next one's.
  ctx_.counters.tally.Seal();
  ListPtr list = TxnOffsetList();
  CgmdPtr cgmd(ctx_.kafka->GroupMetadata());
  committing_ = true;
  commit_done_ = false;
  commit_thread_ = std::thread([this, l = std::move(list), g = std::move(cgmd)]() mutable {
    commit_outcome_ = CommitCalls(l.get(), g.get());
    commit_done_ = true;
  });
}

// Waits for the commit thread, applies its outcome, then produces the
// backlog into a new transaction.
Status ExactlyOnce::FinishCommit() {
  commit_thread_.join();
  committing_ = false;
  if (Status s = CommitDone(std::move(commit_outcome_)); !s.ok()) return s;
  while (!backlog_.empty()) {
    Pending p = std::move(backlog_.front());
    backlog_.pop_front();
    backlog_bytes_ -= p.key.size() + p.value.size();
    Status s = ProduceTracked(Outgoing{p.dest, p.has_key ? p.key.data() : nullptr, p.key.size(), p.value, p.tombstone,
                                       p.hdrs, p.ts, p.topic, p.partition, p.offset});
    if (!s.ok()) {
      // Drop the rest of the backlog, and make the abort's rewind cover
      // the refused record and everything after it: they are consumed
      // again, as when a record is refused on the main path.
      txn_offsets_.try_emplace(PartitionKey{p.topic, p.partition}, Span{p.offset, p.offset + 1});
      for (auto& rest : backlog_) {
        rd_kafka_headers_destroy(rest.hdrs);
        txn_offsets_.try_emplace(PartitionKey{rest.topic, rest.partition}, Span{rest.offset, rest.offset + 1});
      }
      backlog_.clear();
      backlog_bytes_ = 0;
      if (s.error().code == ErrorCode::kKafkaFatal || !txn_open_) return s;
      log::Warn("produce_refused", {{"error", s.error().message}});
      ctx_.backoff.Fail();
      return AbortTxn(/*rewind=*/true);
    }
  }
  return Status::Ok();
}

// Produces one decided record and adds its offset to the transaction.
// Begins a transaction if needed.
Status ExactlyOnce::ProduceTracked(const Outgoing& r) {
  if (!txn_open_) {
    if (Status s = BeginTxn(); !s.ok()) {
      rd_kafka_headers_destroy(r.hdrs);
      return s;
    }
  }
  return ProduceDecided(ctx_, r, 0, [&] {
    // Looked up first without building a key (no string per record).
    if (auto it = txn_offsets_.find(PartitionRef{r.topic, r.partition}); it != txn_offsets_.end())
      it->second.next = r.offset + 1;
    else
      txn_offsets_.emplace(PartitionKey{r.topic, r.partition}, Span{r.offset, r.offset + 1});
    ++txn_records_;
  });
}

// While a commit runs, the decided record waits in the backlog.
Status ExactlyOnce::Submit(const Outgoing& r) {
  if (committing_) {
    Pending p{r.dest,
              std::string(static_cast<const char*>(r.key), r.key_len),
              r.key != nullptr,
              std::string(r.value),
              r.tombstone,
              r.hdrs,
              r.ts,
              r.topic,
              r.partition,
              r.offset};
    backlog_bytes_ += p.key.size() + p.value.size();
    backlog_.push_back(std::move(p));
    return Status::Ok();
  }
  return ProduceTracked(r);
}

void ExactlyOnce::NoteRewound(const rd_kafka_topic_partition_list_t* list) {
  for (int i = 0; i < list->cnt; ++i) {
    auto [it, added] =
        rewound_to_.try_emplace(PartitionKey{list->elems[i].topic, list->elems[i].partition}, list->elems[i].offset);
    if (!added) it->second = std::min(it->second, list->elems[i].offset);
  }
}

Status ExactlyOnce::OnProduceRefused(const PartitionKey& key, int64_t offset) {
  rewound_to_.clear();
  return RefuseAt(key, offset);
}

// Aborts the open transaction (rewinding its partitions) and makes sure the
// refused record's partition comes again from that record, or from earlier.
Status ExactlyOnce::RefuseAt(const PartitionKey& key, int64_t offset) {
  // If this record's partition had no earlier record in the transaction,
  // the abort's rewind does not cover it: seek to it as well, unless an
  // abort while handling this refusal (the running commit's, in
  // OnAuditFailed) already rewound it to an earlier offset: seeking it
  // forward would skip the records between (never delivered).
  const bool covered = txn_offsets_.count(key) != 0;
  if (txn_open_)
    if (Status a = AbortTxn(/*rewind=*/true); !a.ok()) return a;
  // The refused record was counted, and no open transaction held it: it
  // is consumed again too.
  ctx_.counters.replayed.Inc(ctx_.counters.tally.Drop());
  auto earlier = rewound_to_.find(key);
  if (!covered && (earlier == rewound_to_.end() || earlier->second > offset)) {
    ListPtr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), key.topic.c_str(), key.partition)->offset = offset;
    if (Status ss = SeekTo(ctx_, l.get(), "seek"); !ss.ok()) return ss;
  }
  ctx_.backoff.Fail();
  return Status::Ok();
}

// The commit running (its records' events were all written) finishes
// first; then the transaction holding the backlog is aborted like one whose
// produce was refused.
Status ExactlyOnce::OnAuditFailed(const PartitionKey& key, int64_t offset) {
  rewound_to_.clear();
  if (committing_)
    if (Status f = FinishCommit(); !f.ok()) return f;
  return RefuseAt(key, offset);
}

Status ExactlyOnce::MaybeCommit() {
  saturated_ = false;
  if (committing_) {
    // Finish when done, or wait when the backlog is as large as a
    // transaction may be: a while, not for good, so that the loop goes on
    // sampling its gauges and writing its stats lines while a stalled
    // destination holds the commit, and takes no record meanwhile
    // (Saturated; found by review: the gauges and the stats lines stood
    // still for a minute behind a commit retrying a deleted topic).
    if (!commit_done_.load() && backlog_.size() < static_cast<size_t>(ctx_.opt.commit_max_records) &&
        backlog_bytes_ < ctx_.opt.max_inflight_bytes / 2)
      return Status::Ok();
    for (int i = 0; i < 20 && !commit_done_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!commit_done_.load()) {
      saturated_ = true;
      return Status::Ok();
    }
    if (Status s = FinishCommit(); !s.ok()) return s;
    // Interval: the backlog's transaction commits on its own schedule.
    // Eager: it commits at once (below), so the next commit starts as soon
    // as the previous one returned.
    if (ctx_.opt.commit_policy != CommitPolicy::kEager) return Status::Ok();
  }
  // Eager commits only a transaction holding records: idle, nothing is open
  // and nothing is committed (no empty transactions, no spinning).
  const bool due = ctx_.opt.commit_policy == CommitPolicy::kEager
                       ? txn_records_ > 0
                       : txn_records_ >= ctx_.opt.commit_max_records ||
                             Clock::now() - txn_started_ >= std::chrono::milliseconds(ctx_.opt.commit_interval_ms);
  if (txn_open_ && due) {
    if (Status a = AuditOrAbort(); !a.ok() || !txn_open_) return a;
    StartCommit();
  }
  return Status::Ok();
}

// The running commit finished (its backlog produced into a new
// transaction) and that one committed too: nothing is open afterwards,
// unless a fatal error is returned.
Status ExactlyOnce::ReachBoundary() {
  if (Status s = CommitTxn(); !s.ok()) return s;
  if (txn_open_ || committing_ || !backlog_.empty())
    return Error(ErrorCode::kInternal, "transaction still open after the commit before an engine swap");
  return Status::Ok();
}

// Finish the open transaction before the partitions go. If the assignment
// was lost, another member may already own them and our offsets would be
// rejected: abort instead (rewinding what we keep).
Status ExactlyOnce::OnRevoke(const rd_kafka_topic_partition_list_t* parts, bool lost) {
  if (committing_)
    if (Status f = FinishCommit(); !f.ok()) return f;
  if (lost)
    for (int i = 0; i < parts->cnt; ++i) txn_offsets_.erase({parts->elems[i].topic, parts->elems[i].partition});
  Status s;
  if (txn_open_) s = lost ? AbortTxn(/*rewind=*/true) : CommitTxn();
  for (int i = 0; i < parts->cnt; ++i) txn_offsets_.erase({parts->elems[i].topic, parts->elems[i].partition});
  return s;
}

// On stop, a commit that cannot finish within the shutdown budget (the
// destination is gone) is not an error: the transaction is aborted and its
// records are consumed again after a restart; nothing is lost. Only a
// fatal producer state (fenced) stays an error.
Status ExactlyOnce::AbortIfStopping(Status s) {
  if (s.ok()) return s;
  char buf[256];
  const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(ctx_.producer, buf, sizeof buf);
  if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR && !ProducerFatalIsRecoverable(fatal)) return s;
  log::Warn("final_commit_failed", {{"error", s.error().message},
                                    {"detail", "transaction aborted; its records are processed again on restart"}});
  if (committing_) {
    commit_thread_.join();
    committing_ = false;
  }
  for (auto& p : backlog_) rd_kafka_headers_destroy(p.hdrs);
  backlog_.clear();
  backlog_bytes_ = 0;
  txn_open_ = true;  // whatever state the failed commit left, abort it
  (void)AbortTxn(false);
  return Status::Ok();
}

// Commit what is open (the running commit, then the backlog). If that
// cannot finish within the shutdown budget (destination gone), abort
// instead: nothing is lost, the records are consumed again on restart. Only
// a fatal producer state (fenced) is an error here.
Status ExactlyOnce::Drain() {
  return AbortIfStopping(CommitTxn());
}

void ExactlyOnce::Abandon() {
  if (committing_) {
    commit_thread_.join();
    committing_ = false;
  }
}

void ExactlyOnce::AfterClose() {
  if (txn_open_) (void)AbortTxn(false);
}

}  // namespace maskproxy::pipeline
