// End-to-end latency at a fixed rate for the peer benchmark's latency mode.
// One thread produces the reference events to SOURCE at RATE records/s for
// DURATION seconds, each record's timestamp the wall clock at send; another
// consumes DESTINATION (read_committed, every partition, from its end at the
// start) and records arrival - record timestamp. Records sent in the first
// WARMUP seconds are not counted. Prints one line:
//   sent=N received=M p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=..
// Record timestamps are milliseconds, so is the resolution. maskproxy and the
// copiers keep the source record's timestamp on the record they produce.
//
// The events: the first 20,000 lines of EVENTS_TSV (key TAB value), cycled.
//
// Usage: Latency BOOTSTRAP SOURCE DESTINATION EVENTS_TSV RATE DURATION_S WARMUP_S
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class Latency {
  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println("usage: Latency BOOTSTRAP SOURCE DESTINATION EVENTS_TSV RATE DURATION_S WARMUP_S");
      System.exit(2);
    }
    final String bootstrap = args[0], source = args[1], destination = args[2];
    final double rate = Double.parseDouble(args[4]);
    final long durationMs = (long) (Double.parseDouble(args[5]) * 1000);
    final long warmupMs = (long) (Double.parseDouble(args[6]) * 1000);
    List<byte[][]> events = new ArrayList<>();
    try (var lines = Files.lines(Path.of(args[3]), StandardCharsets.UTF_8)) {
      lines.limit(20000).forEach(line -> {
        int tab = line.indexOf('\t');
      events.add(new byte[][] {line.substring(0, tab).getBytes(StandardCharsets.UTF_8),
            line.substring(tab + 1).getBytes(StandardCharsets.UTF_8)});
      });
    }

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
    List<TopicPartition> parts = new ArrayList<>();
    for (PartitionInfo p : consumer.partitionsFor(destination)) {
      parts.add(new TopicPartition(destination, p.partition()));
    }
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    for (TopicPartition tp : parts) consumer.position(tp);

    final long start = System.currentTimeMillis();
    final long countFrom = start + warmupMs;
    final long end = start + durationMs;
    final AtomicLong sent = new AtomicLong();
    Thread producerThread = new Thread(() -> {
      Properties pp = new Properties();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
        producer.partitionsFor(source);  // metadata before the clock starts: no catch-up burst
        long n = 0;
        final long t0 = System.nanoTime();
        while (true) {
          long now = System.currentTimeMillis();
          if (now >= end) break;
          long due = (long) ((System.nanoTime() - t0) / 1e9 * rate);
          while (n < due) {
            byte[][] ev = events.get((int) (n % events.size()));
            long ts = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(source, null, ts, ev[0], ev[1]));
            if (ts >= countFrom) sent.incrementAndGet();
            n++;
          }
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            break;
          }
        }
      }
    });
    producerThread.start();

    long[] lat = new long[1 << 16];
    int count = 0;
    long lastArrival = System.currentTimeMillis();
    while (true) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
        long now = System.currentTimeMillis();
        lastArrival = now;
        if (r.timestamp() < countFrom) continue;
        if (count == lat.length) lat = Arrays.copyOf(lat, lat.length * 2);
        lat[count++] = now - r.timestamp();
      }
      long now = System.currentTimeMillis();
      if (!producerThread.isAlive() && (count >= sent.get() || now - lastArrival > 5000)) break;
    }
    consumer.close();
    Arrays.sort(lat, 0, count);
    System.out.printf("sent=%d received=%d p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s%n", sent.get(), count,
        pct(lat, count, 0.50), pct(lat, count, 0.90), pct(lat, count, 0.99), pct(lat, count, 0.999),
        count == 0 ? "nan" : Long.toString(lat[count - 1]));
  }

  private static String pct(long[] sorted, int n, double q) {
    if (n == 0) return "nan";
    int i = (int) Math.ceil(q * n) - 1;
    return Long.toString(sorted[Math.max(0, Math.min(n - 1, i))]);
  }
}
