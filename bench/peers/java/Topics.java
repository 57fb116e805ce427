// Creates topics (replication 1) in one JVM, so the peer benchmark does not
// start a topic tool per topic. Existing topics are left as they are. With
// "delete" instead of a partition count, deletes the topics (those that exist).
//
// Usage: Topics BOOTSTRAP PARTITIONS|delete TOPIC...
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

public final class Topics {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: Topics BOOTSTRAP PARTITIONS TOPIC...");
      System.exit(2);
    }
    if (args[1].equals("delete")) {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]))) {
        for (var e : admin.deleteTopics(Arrays.asList(args).subList(2, args.length)).topicNameValues().entrySet()) {
          try {
            e.getValue().get();
          } catch (ExecutionException ex) {
            if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) throw ex;
          }
        }
      }
      return;
    }
    int partitions = Integer.parseInt(args[1]);
    List<NewTopic> topics = new ArrayList<>();
    for (String name : Arrays.copyOfRange(args, 2, args.length)) {
      topics.add(new NewTopic(name, Optional.of(partitions), Optional.of((short) 1)));
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]))) {
      for (var e : admin.createTopics(topics).values().entrySet()) {
        try {
          e.getValue().get();
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) throw ex;
        }
      }
    }
  }
}
