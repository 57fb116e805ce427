// LD_PRELOAD shim for faults.stuck_teardown: makes one librdkafka call hang
// forever, as rd_kafka_destroy or rd_kafka_consumer_close can when a broker
// does not answer or a fenced producer has messages in flight. Which one is
// chosen by STUCK_TEARDOWN:
//   destroy         rd_kafka_destroy of a transactional producer, once the
//                   consumer has been closed (a producer replaced while the
//                   proxy runs is destroyed as usual)
//   consumer_close  rd_kafka_consumer_close of a group consumer
// Anything else (or unset): every call goes straight to librdkafka.
#include <dlfcn.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool Mode(const char* want) {
  const char* m = std::getenv("STUCK_TEARDOWN");
  return m != nullptr && std::strcmp(m, want) == 0;
}

bool HasConf(rd_kafka_t* rk, const char* name) {
  char buf[512];
  size_t size = sizeof buf;
  return rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &size) == RD_KAFKA_CONF_OK && size > 1;
}

[[noreturn]] void Hang(const char* call) {
  std::fprintf(stderr, "stuck_teardown: %s hangs (test shim)\n", call);
  std::fflush(stderr);
  for (;;) pause();
}

std::atomic<bool> g_consumer_closed{false};

}  // namespace

extern "C" void rd_kafka_destroy(rd_kafka_t* rk) {
  using Fn = void (*)(rd_kafka_t*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "rd_kafka_destroy"));
  if (Mode("destroy") && g_consumer_closed.load() && rd_kafka_type(rk) == RD_KAFKA_PRODUCER &&
      HasConf(rk, "transactional.id"))
    Hang("rd_kafka_destroy");
  real(rk);
}

extern "C" rd_kafka_resp_err_t rd_kafka_consumer_close(rd_kafka_t* rk) {
  using Fn = rd_kafka_resp_err_t (*)(rd_kafka_t*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "rd_kafka_consumer_close"));
  if (Mode("consumer_close") && HasConf(rk, "group.id")) Hang("rd_kafka_consumer_close");
  const rd_kafka_resp_err_t err = real(rk);
  if (HasConf(rk, "group.id")) g_consumer_closed.store(true);
  return err;
}
