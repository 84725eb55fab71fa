/* Conform.java - the Apache Kafka Java client's checks of fjord's conformance
 * suite, all in one JVM (JVM start-up is the slow part).
 *
 * Usage: Conform BOOTSTRAP TOPIC ALL_TOPICS NODE_PORTS
 *   TOPIC       a fresh topic of 3 partitions x 3 replicas this program owns
 *   ALL_TOPICS  comma-separated names of every topic the cluster has
 *   NODE_PORTS  comma-separated Kafka ports of nodes 1, 2, 3 (127.0.0.1)
 *
 * Prints one line per check: "RESULT <check id> PASS|FAIL <detail>".
 * It does not know which checks are expected to fail: test/conformance/run
 * compares the results with expected.tsv. Every check asserts on content,
 * counts and order; every wait is bounded. */

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class Conform {
	static final int N = 1000;
	static final int PARTS = 3;
	static final String GROUP = "conf-java-group";
	static final long WAIT_S = 20;

	/** One record as sent and as it must come back. */
	record Rec(int partition, long offset, String key, String value, int seq, long ts) {
	}

	static String bootstrap;
	static String topic;
	static String newTopic;
	static Set<String> allTopics;
	static List<Integer> nodePorts;
	/** What the producer check wrote, per partition in offset order. */
	static final Map<Integer, List<Rec>> sent = new HashMap<>();

	interface Check {
		void run() throws Exception;
	}

	static void check(String id, Check c)
	{
		long t0 = System.nanoTime();
		String status = "PASS";
		String detail;
		try {
			c.run();
			detail = "ok";
		} catch (Throwable e) {
			status = "FAIL";
			Throwable root = e;
			while (root.getCause() != null && root != root.getCause())
				root = root.getCause();
			detail = e == root ? e.toString() : e + " (cause: " + root + ")";
		}
		long ms = (System.nanoTime() - t0) / 1_000_000;
		System.out.println("RESULT " + id + " " + status + " " + ms + "ms "
				   + detail.replace('\n', ' '));
		System.out.flush();
	}

	static void expect(boolean ok, String what)
	{
		if (!ok)
			throw new AssertionError(what);
	}

	static Admin admin()
	{
		Properties p = new Properties();
		p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
		p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
		return Admin.create(p);
	}

	static KafkaConsumer<String, String> consumer(String group)
	{
		Properties p = new Properties();
		p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
		p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
		p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
		p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
		if (group != null)
			p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
		return new KafkaConsumer<>(p);
	}

	static List<TopicPartition> partitions()
	{
		List<TopicPartition> tps = new ArrayList<>();
		for (int p = 0; p < PARTS; p++)
			tps.add(new TopicPartition(topic, p));
		return tps;
	}

	/** Record seq's timestamp: increasing, except one spike per partition
	 * (the record at position SPIKE_AT), so that a lookup by timestamp
	 * after it must answer the spike, not the record nearest in time. */
	static final int SPIKE_AT = 100;

	static long timestampOf(long base, int seq)
	{
		return seq / PARTS == SPIKE_AT ? base + 10L * N + seq : base + seq;
	}

	/** The default producer (acks=all, idempotent) writes N keyed records,
	 * record seq to partition seq % PARTS, with a header and an explicit
	 * timestamp; every one is acknowledged and each partition's offsets
	 * run 0, 1, 2, ... in send order. */
	static void producer() throws Exception
	{
		Properties p = new Properties();
		p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		// Bounds flush(); must be >= linger.ms + request.timeout.ms (30 s).
		p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "45000");
		// The defaults under test: no acks, idempotence or retries set here.
		ProducerConfig cfg = new ProducerConfig(p);
		expect("-1".equals(cfg.getString(ProducerConfig.ACKS_CONFIG)), "default acks is not all");
		expect(cfg.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), "default is not idempotent");
		long base = System.currentTimeMillis() - 3_600_000L;
		List<Future<RecordMetadata>> futs = new ArrayList<>();
		List<String[]> what = new ArrayList<>();
		try (KafkaProducer<String, String> prod = new KafkaProducer<>(p)) {
			for (int i = 0; i < N; i++) {
				String key = "k" + i;
				String value = "java-" + i + "-" + "x".repeat(i % 50);
				ProducerRecord<String, String> r =
				    new ProducerRecord<>(topic, i % PARTS, timestampOf(base, i), key, value);
				r.headers().add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
				futs.add(prod.send(r));
				what.add(new String[] {key, value});
			}
			prod.flush();
			for (int i = 0; i < N; i++) {
				RecordMetadata md = futs.get(i).get(WAIT_S, TimeUnit.SECONDS);
				expect(md.partition() == i % PARTS, "record " + i + " went to partition " + md.partition());
				sent.computeIfAbsent(md.partition(), k -> new ArrayList<>())
				    .add(new Rec(md.partition(), md.offset(), what.get(i)[0], what.get(i)[1], i,
						 timestampOf(base, i)));
			}
		}
		int total = 0;
		for (Map.Entry<Integer, List<Rec>> e : sent.entrySet()) {
			List<Rec> l = e.getValue();
			for (int j = 0; j < l.size(); j++)
				expect(l.get(j).offset == j, "partition " + e.getKey() + ": record " + j + " got offset "
								    + l.get(j).offset);
			total += l.size();
		}
		expect(total == N, "acked " + total + " of " + N);
	}

	/** An assign() consumer (no group) reads every record back exactly:
	 * same count, and per partition the same offsets, keys, values,
	 * headers and timestamps in the same order, and nothing more. */
	static void assignConsumer() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		Map<Integer, List<ConsumerRecord<String, String>>> got = new HashMap<>();
		int n = 0;
		try (KafkaConsumer<String, String> c = consumer(null)) {
			c.assign(partitions());
			c.seekToBeginning(partitions());
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			while (n < N && System.nanoTime() < deadline) {
				for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
					got.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
					n++;
				}
			}
			// One more short poll: nothing beyond what was written.
			n += c.poll(Duration.ofMillis(300)).count();
		}
		expect(n == N, "read " + n + " records, want " + N);
		for (int p = 0; p < PARTS; p++) {
			List<Rec> want = sent.getOrDefault(p, List.of());
			List<ConsumerRecord<String, String>> have = got.getOrDefault(p, List.of());
			expect(want.size() == have.size(), "partition " + p + ": " + have.size() + " records, want " + want.size());
			for (int j = 0; j < want.size(); j++) {
				Rec w = want.get(j);
				ConsumerRecord<String, String> h = have.get(j);
				Header hd = h.headers().lastHeader("seq");
				String seq = hd == null ? null : new String(hd.value(), StandardCharsets.UTF_8);
				expect(h.offset() == w.offset && w.key.equals(h.key()) && w.value.equals(h.value())
					       && Integer.toString(w.seq).equals(seq) && h.timestamp() == w.ts,
				       "partition " + p + " position " + j + ": got offset " + h.offset() + " key " + h.key()
					       + " seq " + seq + " ts " + h.timestamp() + ", want offset " + w.offset + " key "
					       + w.key + " seq " + w.seq + " ts " + w.ts);
			}
		}
	}

	/** Kafka's rule for a timestamp lookup: the first offset whose
	 * timestamp is at or after ts, -1 when there is none. */
	static long firstAtOrAfter(List<Rec> l, long ts)
	{
		for (Rec r : l)
			if (r.ts >= ts)
				return r.offset;
		return -1;
	}

	/** The consumer's beginningOffsets, endOffsets and offsetsForTimes
	 * (ListOffsets by timestamp, before and after the spike) agree with
	 * what was written. */
	static void consumerOffsets() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		try (KafkaConsumer<String, String> c = consumer(null)) {
			Map<TopicPartition, Long> begin = c.beginningOffsets(partitions());
			Map<TopicPartition, Long> end = c.endOffsets(partitions());
			for (TopicPartition tp : partitions()) {
				List<Rec> l = sent.get(tp.partition());
				expect(begin.get(tp) == 0L, tp + " begins at " + begin.get(tp));
				expect(end.get(tp) == l.size(), tp + " ends at " + end.get(tp) + ", want " + l.size());
			}
			// Position 50 (before the spike: the answer is itself) and the
			// middle (after the spike, whose larger timestamp comes first:
			// the answer is the spike).
			for (int pick : new int[] {SPIKE_AT / 2, -1}) {
				Map<TopicPartition, Long> when = new HashMap<>();
				for (TopicPartition tp : partitions()) {
					List<Rec> l = sent.get(tp.partition());
					when.put(tp, l.get(pick >= 0 ? pick : l.size() / 2).ts);
				}
				Map<TopicPartition, OffsetAndTimestamp> at = c.offsetsForTimes(when);
				for (TopicPartition tp : partitions()) {
					List<Rec> l = sent.get(tp.partition());
					long want = firstAtOrAfter(l, when.get(tp));
					OffsetAndTimestamp o = at.get(tp);
					expect(o != null && o.offset() == want && o.timestamp() == l.get((int) want).ts,
					       tp + ": offsetsForTimes(" + when.get(tp) + ") = " + o + ", want offset " + want);
				}
			}
		}
	}

	static void describeCluster() throws Exception
	{
		try (Admin a = admin()) {
			DescribeClusterResult r = a.describeCluster();
			Collection<Node> nodes = r.nodes().get(WAIT_S, TimeUnit.SECONDS);
			String id = r.clusterId().get(WAIT_S, TimeUnit.SECONDS);
			Set<String> have = new TreeSet<>();
			for (Node n : nodes)
				have.add(n.id() + "@" + n.host() + ":" + n.port());
			Set<String> want = new TreeSet<>();
			for (int i = 0; i < nodePorts.size(); i++)
				want.add((i + 1) + "@127.0.0.1:" + nodePorts.get(i));
			expect(have.equals(want), "nodes " + have + ", want " + want);
			expect(id != null && !id.isEmpty(), "no cluster id");
		}
	}

	static void listTopics() throws Exception
	{
		try (Admin a = admin()) {
			Set<String> have = new TreeSet<>(a.listTopics().names().get(WAIT_S, TimeUnit.SECONDS));
			expect(have.equals(new TreeSet<>(allTopics)), "topics " + have + ", want " + new TreeSet<>(allTopics));
		}
	}

	static void describeTopics() throws Exception
	{
		try (Admin a = admin()) {
			TopicDescription td = a.describeTopics(List.of(topic)).allTopicNames().get(WAIT_S, TimeUnit.SECONDS).get(topic);
			expect(td.name().equals(topic) && !td.isInternal(), "bad description " + td);
			List<TopicPartitionInfo> ps = td.partitions();
			expect(ps.size() == PARTS, ps.size() + " partitions, want " + PARTS);
			for (int p = 0; p < PARTS; p++) {
				TopicPartitionInfo pi = ps.get(p);
				Set<Integer> reps = new HashSet<>();
				for (Node n : pi.replicas())
					reps.add(n.id());
				expect(pi.partition() == p, "partition " + p + " listed as " + pi.partition());
				expect(reps.equals(Set.of(1, 2, 3)), "partition " + p + " replicas " + reps);
				expect(pi.leader() != null && reps.contains(pi.leader().id()), "partition " + p + " leader " + pi.leader());
				expect(pi.isr().size() == 3, "partition " + p + " isr " + pi.isr());
			}
		}
	}

	/** Topic ids (KIP-516): the description carries a non-zero id and
	 * describing by that id finds the same topic. */
	static void topicIds() throws Exception
	{
		try (Admin a = admin()) {
			TopicDescription td = a.describeTopics(List.of(topic)).allTopicNames().get(WAIT_S, TimeUnit.SECONDS).get(topic);
			Uuid id = td.topicId();
			expect(id != null && !id.equals(Uuid.ZERO_UUID), "topic id is " + id);
			Map<Uuid, TopicDescription> byId;
			try {
				byId = a.describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds()
					       .get(WAIT_S, TimeUnit.SECONDS);
			} catch (Exception e) {
				throw new AssertionError("describing topic id " + id + ": " + e, e);
			}
			expect(byId.get(id) != null && topic.equals(byId.get(id).name()), "by id " + id + ": " + byId);
		}
	}

	static Map<TopicPartition, ListOffsetsResultInfo> listOffsets(Admin a, OffsetSpec spec) throws Exception
	{
		Map<TopicPartition, OffsetSpec> q = new HashMap<>();
		for (TopicPartition tp : partitions())
			q.put(tp, spec);
		return a.listOffsets(q).all().get(WAIT_S, TimeUnit.SECONDS);
	}

	static void adminListOffsets() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		try (Admin a = admin()) {
			Map<TopicPartition, ListOffsetsResultInfo> e = listOffsets(a, OffsetSpec.earliest());
			Map<TopicPartition, ListOffsetsResultInfo> l = listOffsets(a, OffsetSpec.latest());
			for (TopicPartition tp : partitions()) {
				expect(e.get(tp).offset() == 0, tp + " earliest " + e.get(tp).offset());
				expect(l.get(tp).offset() == sent.get(tp.partition()).size(),
				       tp + " latest " + l.get(tp).offset() + ", want " + sent.get(tp.partition()).size());
			}
		}
	}

	/** ListOffsets v7+ max-timestamp spec (KIP-734): the offset and
	 * timestamp of the record with the largest timestamp. Writes one batch
	 * of three records per partition whose middle record holds the maximum
	 * (a producer that lingers, so the three share a batch): the answer is
	 * that record, not the batch's first or last offset. Runs last: it adds
	 * records and a second producer id. */
	static void adminListOffsetsMaxTimestamp() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		Properties p = new Properties();
		p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
		p.put(ProducerConfig.LINGER_MS_CONFIG, "500");
		p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "45000");
		long t = System.currentTimeMillis() + 60_000L;
		long[] ts = {t + 1000, t + 3000, t + 2000};
		Map<TopicPartition, RecordMetadata> middle = new HashMap<>();
		try (KafkaProducer<String, String> prod = new KafkaProducer<>(p)) {
			List<Future<RecordMetadata>> futs = new ArrayList<>();
			for (TopicPartition tp : partitions())
				for (int k = 0; k < ts.length; k++)
					futs.add(prod.send(new ProducerRecord<>(topic, tp.partition(), ts[k], "max" + k, "max" + k)));
			prod.flush();
			for (int i = 0; i < futs.size(); i++) {
				RecordMetadata md = futs.get(i).get(WAIT_S, TimeUnit.SECONDS);
				if (i % ts.length == 1)
					middle.put(new TopicPartition(topic, md.partition()), md);
			}
		}
		try (Admin a = admin()) {
			Map<TopicPartition, ListOffsetsResultInfo> m = listOffsets(a, OffsetSpec.maxTimestamp());
			for (TopicPartition tp : partitions()) {
				ListOffsetsResultInfo r = m.get(tp);
				long want = middle.get(tp).offset();
				expect(r.offset() == want && r.timestamp() == ts[1],
				       tp + ": max timestamp at offset " + r.offset() + " ts " + r.timestamp()
					       + ", want offset " + want + " ts " + ts[1]);
			}
		}
	}

	static void createTopics() throws Exception
	{
		try (Admin a = admin()) {
			a.createTopics(List.of(new NewTopic(newTopic, 3, (short) 3))).all().get(WAIT_S, TimeUnit.SECONDS);
			// The node that answered shows the topic at once, the others a few
			// milliseconds later (as Kafka's brokers follow their controller),
			// and describeTopics asks the least loaded one.
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			TopicDescription td = null;
			while (td == null && System.nanoTime() < deadline) {
				try {
					td = a.describeTopics(List.of(newTopic)).allTopicNames().get(WAIT_S, TimeUnit.SECONDS).get(newTopic);
				} catch (ExecutionException e) {
					if (!(e.getCause() instanceof UnknownTopicOrPartitionException))
						throw e;
					Thread.sleep(200);
				}
			}
			expect(td != null, newTopic + " unknown " + WAIT_S + " s after it was created");
			expect(td.partitions().size() == 3, "created with " + td.partitions().size() + " partitions");
			for (TopicPartitionInfo pi : td.partitions())
				expect(pi.replicas().size() == 3, "partition " + pi.partition() + " replicas " + pi.replicas());
		}
	}

	static void createPartitions() throws Exception
	{
		try (Admin a = admin()) {
			a.createPartitions(Map.of(newTopic, NewPartitions.increaseTo(4))).all().get(WAIT_S, TimeUnit.SECONDS);
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			int n = 0;
			while (System.nanoTime() < deadline) {
				n = a.describeTopics(List.of(newTopic)).allTopicNames().get(WAIT_S, TimeUnit.SECONDS)
					    .get(newTopic).partitions().size();
				if (n == 4)
					break;
				Thread.sleep(200);
			}
			expect(n == 4, newTopic + " has " + n + " partitions after increaseTo(4)");
		}
	}

	static Config topicConfig(Admin a, String t) throws Exception
	{
		ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
		return a.describeConfigs(List.of(r)).all().get(WAIT_S, TimeUnit.SECONDS).get(r);
	}

	static void describeConfigs() throws Exception
	{
		try (Admin a = admin()) {
			Config c = topicConfig(a, topic);
			ConfigEntry cp = c.get("cleanup.policy");
			ConfigEntry rm = c.get("retention.ms");
			expect(cp != null && "delete".equals(cp.value()), "cleanup.policy = " + cp);
			expect(rm != null && rm.value() != null && Long.parseLong(rm.value()) != 0, "retention.ms = " + rm);
		}
	}

	static void alterConfigs() throws Exception
	{
		try (Admin a = admin()) {
			ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
			AlterConfigOp op = new AlterConfigOp(new ConfigEntry("retention.ms", "86400000"), AlterConfigOp.OpType.SET);
			a.incrementalAlterConfigs(Map.of(r, List.of(op))).all().get(WAIT_S, TimeUnit.SECONDS);
			// As for createTopics: the other nodes follow a few milliseconds later.
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			ConfigEntry rm = null;
			while (System.nanoTime() < deadline) {
				rm = topicConfig(a, topic).get("retention.ms");
				if (rm != null && "86400000".equals(rm.value()))
					break;
				Thread.sleep(200);
			}
			expect(rm != null && "86400000".equals(rm.value()), "retention.ms after alter = " + rm);
		}
	}

	static void deleteTopics() throws Exception
	{
		try (Admin a = admin()) {
			a.deleteTopics(List.of(newTopic)).all().get(WAIT_S, TimeUnit.SECONDS);
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			Set<String> names = Set.of();
			while (System.nanoTime() < deadline) {
				names = a.listTopics().names().get(WAIT_S, TimeUnit.SECONDS);
				if (!names.contains(newTopic))
					break;
				Thread.sleep(200);
			}
			expect(!names.contains(newTopic), newTopic + " still listed after delete");
		}
	}

	/** DescribeLogDirs: every node reports a replica of each partition,
	 * holding bytes. */
	static void describeLogDirs() throws Exception
	{
		try (Admin a = admin()) {
			Map<Integer, Map<String, LogDirDescription>> all = a.describeLogDirs(List.of(1, 2, 3))
										 .allDescriptions().get(WAIT_S, TimeUnit.SECONDS);
			for (int node = 1; node <= 3; node++) {
				Map<String, LogDirDescription> dirs = all.get(node);
				expect(dirs != null && !dirs.isEmpty(), "node " + node + ": no log dirs");
				for (TopicPartition tp : partitions()) {
					long size = -1;
					for (LogDirDescription d : dirs.values()) {
						ReplicaInfo ri = d.replicaInfos().get(tp);
						if (ri != null)
							size = ri.size();
					}
					expect(size > 0, "node " + node + " " + tp + ": size " + size);
				}
			}
		}
	}

	/** DescribeProducers: the idempotent producer is the one active
	 * producer of each partition, its last sequence = records - 1. */
	static void describeProducers() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		try (Admin a = admin()) {
			Map<TopicPartition, PartitionProducerState> st = a.describeProducers(partitions()).all()
										  .get(WAIT_S, TimeUnit.SECONDS);
			for (TopicPartition tp : partitions()) {
				List<ProducerState> ps = st.get(tp).activeProducers();
				int want = sent.get(tp.partition()).size() - 1;
				expect(ps.size() == 1 && ps.get(0).lastSequence() == want,
				       tp + ": producers " + ps + ", want one with last sequence " + want);
			}
		}
	}

	/** The group consumer (subscribe) reads everything and commits; the
	 * admin client then sees the group and its committed offsets. */
	static void groupConsumer() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		Map<Integer, List<String>> got = new HashMap<>();
		int n = 0;
		try (KafkaConsumer<String, String> c = consumer(GROUP)) {
			c.subscribe(List.of(topic));
			long deadline = System.nanoTime() + WAIT_S * 1_000_000_000L;
			while (n < N && System.nanoTime() < deadline) {
				for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
					got.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.key());
					n++;
				}
			}
			expect(n == N, "group consumer read " + n + " of " + N);
			c.commitSync(Duration.ofSeconds(WAIT_S));
		}
		for (int p = 0; p < PARTS; p++) {
			List<String> want = new ArrayList<>();
			for (Rec r : sent.get(p))
				want.add(r.key);
			expect(want.equals(got.get(p)), "partition " + p + ": keys differ from what was written");
		}
	}

	/** Commits what was read before a rebalance takes partitions away, as
	 * an application that wants each record once does. */
	static ConsumerRebalanceListener commitOnRevoke(KafkaConsumer<String, String> c)
	{
		return new ConsumerRebalanceListener() {
			public void onPartitionsRevoked(Collection<TopicPartition> parts)
			{
				c.commitSync(Duration.ofSeconds(WAIT_S));
			}

			public void onPartitionsAssigned(Collection<TopicPartition> parts) {}
		};
	}

	/** Two group consumers of one group (polled in turn from this thread),
	 * each committing after processing and before giving partitions up,
	 * split the partitions between them and together read every record
	 * once. */
	static void groupSplit() throws Exception
	{
		expect(!sent.isEmpty(), "the producer check wrote nothing");
		Set<String> seen = new HashSet<>();
		int n = 0;
		try (KafkaConsumer<String, String> a = consumer(GROUP + "-split");
		     KafkaConsumer<String, String> b = consumer(GROUP + "-split")) {
			a.subscribe(List.of(topic), commitOnRevoke(a));
			b.subscribe(List.of(topic), commitOnRevoke(b));
			long deadline = System.nanoTime() + 2 * WAIT_S * 1_000_000_000L;
			boolean split = false;
			while ((n < N || !split) && System.nanoTime() < deadline) {
				for (KafkaConsumer<String, String> c : List.of(a, b)) {
					int got = 0;
					for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
						expect(seen.add(r.partition() + "/" + r.offset()),
						       "record " + r.partition() + "/" + r.offset() + " read twice");
						n++;
						got++;
					}
					if (got > 0)
						c.commitSync(Duration.ofSeconds(WAIT_S));
				}
				Set<TopicPartition> x = a.assignment(), y = b.assignment();
				Set<TopicPartition> both = new HashSet<>(x);
				both.addAll(y);
				split = !x.isEmpty() && !y.isEmpty() && both.size() == PARTS &&
					x.size() + y.size() == PARTS;
			}
			expect(split, "the partitions were not split: " + a.assignment() + " and " +
					      b.assignment());
			expect(n == N, "the two consumers read " + n + " of " + N);
		}
	}

	static void groupAdmin() throws Exception
	{
		try (Admin a = admin()) {
			Set<String> groups = new TreeSet<>();
			for (GroupListing g : a.listGroups().all().get(WAIT_S, TimeUnit.SECONDS))
				groups.add(g.groupId());
			expect(groups.contains(GROUP), "groups " + groups + " lack " + GROUP);
			Map<TopicPartition, OffsetAndMetadata> off = a.listConsumerGroupOffsets(GROUP)
									     .partitionsToOffsetAndMetadata().get(WAIT_S, TimeUnit.SECONDS);
			for (TopicPartition tp : partitions()) {
				OffsetAndMetadata o = off.get(tp);
				long want = sent.get(tp.partition()).size();
				expect(o != null && o.offset() == want, tp + ": committed " + o + ", want " + want);
			}
		}
	}

	public static void main(String[] args)
	{
		if (args.length != 4) {
			System.err.println("usage: Conform BOOTSTRAP TOPIC ALL_TOPICS NODE_PORTS");
			System.exit(2);
		}
		bootstrap = args[0];
		topic = args[1];
		newTopic = topic + "-created";
		allTopics = new HashSet<>(Arrays.asList(args[2].split(",")));
		nodePorts = new ArrayList<>();
		for (String s : args[3].split(","))
			nodePorts.add(Integer.parseInt(s));

		check("java.producer", Conform::producer);
		check("java.consumer.assign", Conform::assignConsumer);
		check("java.consumer.offsets", Conform::consumerOffsets);
		check("java.admin.describe_cluster", Conform::describeCluster);
		check("java.admin.list_topics", Conform::listTopics);
		check("java.admin.describe_topics", Conform::describeTopics);
		check("java.admin.list_offsets", Conform::adminListOffsets);
		check("java.admin.topic_ids", Conform::topicIds);
		check("java.admin.create_topics", Conform::createTopics);
		check("java.admin.create_partitions", Conform::createPartitions);
		check("java.admin.delete_topics", Conform::deleteTopics);
		check("java.admin.describe_configs", Conform::describeConfigs);
		check("java.admin.alter_configs", Conform::alterConfigs);
		check("java.admin.describe_log_dirs", Conform::describeLogDirs);
		check("java.admin.describe_producers", Conform::describeProducers);
		check("java.consumer.group", Conform::groupConsumer);
		check("java.consumer.group_split", Conform::groupSplit);
		check("java.admin.groups", Conform::groupAdmin);
		check("java.admin.list_offsets_max_timestamp", Conform::adminListOffsetsMaxTimestamp);
		// The clients' own threads must not keep the JVM up.
		System.exit(0);
	}
}
