// The few lines Kafka Connect needs to mask JSON with MaskField: Apache Kafka
// ships no transform that parses JSON bytes, so this one turns a record's
// value (bytes of a JSON object) into a schemaless Map; Flatten and MaskField
// then work on it and JsonConverter (schemas.enable=false) writes it back.
// A value that is not a JSON object fails the task (Connect's default
// errors.tolerance=none).
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.transforms.Transformation;

public final class JsonToMap<R extends ConnectRecord<R>> implements Transformation<R> {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  @Override
  public R apply(R record) {
    Object v = record.value();
    if (!(v instanceof byte[])) return record;
    Map<String, Object> map;
    try {
      map = MAPPER.readValue((byte[]) v, MAP);
    } catch (IOException e) {
      throw new DataException("value is not a JSON object");
    }
    return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(),
        null, map, record.timestamp(), record.headers());
  }

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}
}
