// The librdkafka properties of one side's `security:` block (config.h,
// KafkaSecurity): reads the secret files at start, refusing any that group or
// others can access, and checks that the certificate files are readable.
// The result holds secrets (ssl.key.password, sasl.password): it goes to
// librdkafka only, never to a log line, an error message or config_dump.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "app/config.h"
#include "common/result.h"

namespace maskproxy::app {

// side: "source" or "destination" (for messages). Errors name the config key
// and the file, never a file's content.
[[nodiscard]] Result<std::map<std::string, std::string>> KafkaSecurityProperties(const KafkaSecurity& security,
                                                                                 std::string_view side);

// The librdkafka properties of each side's clients as `run` gives them:
// source.properties (consumer) and destination.properties (producer), each
// with its side's security: properties (above) over them. Errors as above.
struct KafkaClientProperties {
  std::map<std::string, std::string> consumer;
  std::map<std::string, std::string> producer;
};
[[nodiscard]] Result<KafkaClientProperties> ClientProperties(const Config& config);

}  // namespace maskproxy::app
