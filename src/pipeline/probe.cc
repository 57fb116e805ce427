// ProbeBrokers (pipeline.h): the start-up check of one side's brokers and
// credentials, so that a wrong certificate or password stops the proxy at
// start with a clear message instead of librdkafka retrying forever.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "common/log.h"
#include "pipeline/kafka_util.h"
#include "pipeline/pipeline.h"

namespace maskproxy::pipeline {
namespace {

// What the error callback saw (librdkafka's background threads call it).
struct ProbeState {
  std::mutex mu;
  rd_kafka_resp_err_t auth_err = RD_KAFKA_RESP_ERR_NO_ERROR;  // __SSL or __AUTHENTICATION
  std::string auth_reason;
  std::string last_reason;  // the last other error (transport, all brokers down, ...)
};

// A refused handshake can also show as a transport error: with TLS 1.3 the
// client learns that its certificate was rejected only from the broker's
// alert on its first read ("Receive failed: ... SSL alert number 46 (... in
// state APIVERSION_QUERY)").
bool IsHandshakeFailure(int err, const std::string& reason) {
  if (err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION) return true;
  if (err != RD_KAFKA_RESP_ERR__TRANSPORT) return false;
  for (const char* mark : {"SSL_HANDSHAKE", "SSL alert", "SSL routines", "AUTH_HANDSHAKE", "SASL"})
    if (reason.find(mark) != std::string::npos) return true;
  return false;
}

void OnProbeError(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* st = static_cast<ProbeState*>(opaque);
  std::lock_guard<std::mutex> lock(st->mu);
  std::string r = reason ? reason : "";
  if (st->auth_err == RD_KAFKA_RESP_ERR_NO_ERROR && IsHandshakeFailure(err, r)) {
    st->auth_err = err == RD_KAFKA_RESP_ERR__AUTHENTICATION || r.find("SASL") != std::string::npos
                       ? RD_KAFKA_RESP_ERR__AUTHENTICATION
                       : RD_KAFKA_RESP_ERR__SSL;
    st->auth_reason = r;
  } else if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || st->last_reason.empty()) {
    st->last_reason = std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + r;
  }
}

void OnProbeLog(const rd_kafka_t* rk, int /*level*/, const char* fac, const char* buf) {
  // The probe reports its own outcome; librdkafka's lines only at debug.
  if (log::Enabled(log::Level::kDebug))
    log::Debug("librdkafka", {{"client", rd_kafka_name(rk)}, {"facility", fac}, {"message", buf}});
}

}  // namespace

Status ProbeBrokers(std::string_view side, const std::string& brokers,
                    const std::map<std::string, std::string>& properties, int timeout_ms,
                    const std::atomic<bool>* stop) {
  const std::string s(side);
  const bool consumer = side == "source";
  ProbeState st;
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [k, v] : properties)
    if (Status r = SetConf(conf.get(), k, v, s.c_str()); !r.ok()) return r;
  if (Status r = SetConf(conf.get(), "bootstrap.servers", brokers, s.c_str()); !r.ok()) return r;
  if (Status r = SetConf(conf.get(), "client.id", "maskproxy-probe-" + s, s.c_str()); !r.ok()) return r;
  rd_kafka_conf_set_opaque(conf.get(), &st);
  rd_kafka_conf_set_error_cb(conf.get(), &OnProbeError);
  rd_kafka_conf_set_log_cb(conf.get(), &OnProbeLog);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf.get(), err, sizeof err);
  if (!rk) return Error(ErrorCode::kKafkaInitFailed, s + ": cannot create a Kafka client: " + err);
  conf.release();  // owned by rk now
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> client(rk, &rd_kafka_destroy);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string metadata_error;
  while (true) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, nullptr, &md, 500);
    if (md) rd_kafka_metadata_destroy(md);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Info("kafka_probe_ok", {{"side", s}, {"brokers", brokers}});
      return Status::Ok();
    }
    metadata_error = rd_kafka_err2name(e);
    rd_kafka_poll(rk, 100);  // serves the error callback
    {
      std::lock_guard<std::mutex> lock(st.mu);
      if (st.auth_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* cause =
            st.auth_err == RD_KAFKA_RESP_ERR__AUTHENTICATION ? "SASL authentication failed" : "SSL handshake failed";
        return Error(ErrorCode::kKafkaAuthFailed,
                     s + " brokers " + brokers + ": " + cause + " (" + st.auth_reason + ")");
      }
    }
    if (stop && stop->load())
      return Error(ErrorCode::kKafkaUnreachable, s + " brokers " + brokers + ": no answer yet; a stop was requested");
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  std::lock_guard<std::mutex> lock(st.mu);
  return Error(ErrorCode::kKafkaUnreachable, s + " brokers " + brokers + ": no answer to a metadata request within " +
                                                 std::to_string(timeout_ms) + " ms (" +
                                                 (st.last_reason.empty() ? metadata_error : st.last_reason) + ")");
}

}  // namespace maskproxy::pipeline
