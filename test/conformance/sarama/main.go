// conform-sarama - the Sarama (github.com/IBM/sarama) checks of fjord's
// conformance suite.
//
// Usage: conform-sarama BOOTSTRAP TOPIC NODE_PORTS
//
//	TOPIC       a fresh topic of 3 partitions x 3 replicas this program owns
//	NODE_PORTS  comma-separated Kafka ports of nodes 1, 2, 3 (127.0.0.1)
//
// Prints one line per check: "RESULT <check id> PASS|FAIL <ms>ms <detail>",
// as conform-go does; test/conformance/run compares the results with
// expected.tsv. Sarama is configured as its users configure it for a Kafka 4
// cluster (Version V4_0_0_0), so it picks its request versions from that
// setting rather than from ApiVersions alone. Every check asserts on
// content, counts and order; every wait is bounded.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

const (
	n     = 300
	parts = 3
	group = "conf-sarama-group"
	wait  = 20 * time.Second
)

type rec struct {
	offset     int64
	key, value string
	seq        int
	ts         int64
}

var (
	addrs     []string
	topic     string
	newTopic  string
	nodePorts []int
	// What the producer check wrote, per partition in offset order.
	sent = map[int32][]rec{}
)

func check(id string, fn func() error) {
	t0 := time.Now()
	status, detail := "PASS", "ok"
	if err := fn(); err != nil {
		status, detail = "FAIL", strings.ReplaceAll(err.Error(), "\n", " ")
	}
	fmt.Printf("RESULT %s %s %dms %s\n", id, status, time.Since(t0).Milliseconds(), detail)
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "fjord-conformance-sarama"
	c.Version = sarama.V4_0_0_0
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 5
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

func admin() (sarama.ClusterAdmin, error) { return sarama.NewClusterAdmin(addrs, config()) }

// produce sends the n records in batches of 100 with an idempotent acks=all
// SyncProducer, record seq to partition seq % parts, and checks that each
// partition's offsets run 0, 1, 2... in send order.
func produce() error {
	c := config()
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Idempotent = true
	c.Net.MaxOpenRequests = 1
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer(addrs, c)
	if err != nil {
		return err
	}
	defer p.Close()
	base := time.Now().Add(-time.Hour).UnixMilli()
	for start := 0; start < n; start += 100 {
		var msgs []*sarama.ProducerMessage
		for seq := start; seq < start+100; seq++ {
			msgs = append(msgs, &sarama.ProducerMessage{
				Topic:     topic,
				Partition: int32(seq % parts),
				Key:       sarama.StringEncoder(fmt.Sprintf("key-%d", seq)),
				Value:     sarama.StringEncoder(fmt.Sprintf("value-%d", seq)),
				Headers:   []sarama.RecordHeader{{Key: []byte("seq"), Value: []byte(strconv.Itoa(seq))}},
				Timestamp: time.UnixMilli(base + int64(seq)),
			})
		}
		if err := p.SendMessages(msgs); err != nil {
			return err
		}
		for i, m := range msgs {
			seq := start + i
			if m.Partition != int32(seq%parts) {
				return fmt.Errorf("record %d went to partition %d", seq, m.Partition)
			}
			if want := int64(len(sent[m.Partition])); m.Offset != want {
				return fmt.Errorf("record %d: partition %d offset %d, want %d", seq, m.Partition, m.Offset, want)
			}
			sent[m.Partition] = append(sent[m.Partition], rec{m.Offset, fmt.Sprintf("key-%d", seq),
				fmt.Sprintf("value-%d", seq), seq, base + int64(seq)})
		}
	}
	return nil
}

// readPartition reads partition p from the beginning until it holds as many
// records as were sent, or the wait ends.
func readPartition(c sarama.Consumer, p int32) ([]*sarama.ConsumerMessage, error) {
	pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	var got []*sarama.ConsumerMessage
	deadline := time.After(wait)
	for len(got) < len(sent[p]) {
		select {
		case m := <-pc.Messages():
			got = append(got, m)
		case e := <-pc.Errors():
			return got, e
		case <-deadline:
			return got, fmt.Errorf("partition %d: %d of %d records in %s", p, len(got), len(sent[p]), wait)
		}
	}
	return got, nil
}

func sameRecord(p int32, want rec, m *sarama.ConsumerMessage) error {
	hdr := ""
	if len(m.Headers) == 1 && string(m.Headers[0].Key) == "seq" {
		hdr = string(m.Headers[0].Value)
	}
	if m.Offset != want.offset || string(m.Key) != want.key || string(m.Value) != want.value ||
		hdr != strconv.Itoa(want.seq) || m.Timestamp.UnixMilli() != want.ts {
		return fmt.Errorf("partition %d: read offset %d key %q value %q seq header %q ts %d, want %d %q %q %d %d",
			p, m.Offset, m.Key, m.Value, hdr, m.Timestamp.UnixMilli(), want.offset, want.key, want.value,
			want.seq, want.ts)
	}
	return nil
}

func consumePartitions() error {
	c, err := sarama.NewConsumer(addrs, config())
	if err != nil {
		return err
	}
	defer c.Close()
	for p := int32(0); p < parts; p++ {
		got, err := readPartition(c, p)
		if err != nil {
			return err
		}
		for i, want := range sent[p] {
			if err := sameRecord(p, want, got[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func clientOffsets() error {
	cl, err := sarama.NewClient(addrs, config())
	if err != nil {
		return err
	}
	defer cl.Close()
	for p := int32(0); p < parts; p++ {
		oldest, err := cl.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return err
		}
		newest, err := cl.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return err
		}
		if oldest != 0 || newest != int64(len(sent[p])) {
			return fmt.Errorf("partition %d: oldest %d newest %d, want 0 and %d", p, oldest, newest, len(sent[p]))
		}
	}
	return nil
}

func describeCluster() error {
	a, err := admin()
	if err != nil {
		return err
	}
	defer a.Close()
	brokers, controller, err := a.DescribeCluster()
	if err != nil {
		return err
	}
	var have, want []string
	for _, b := range brokers {
		have = append(have, fmt.Sprintf("%d@%s", b.ID(), b.Addr()))
	}
	for i, port := range nodePorts {
		want = append(want, fmt.Sprintf("%d@127.0.0.1:%d", i+1, port))
	}
	sort.Strings(have)
	if strings.Join(have, ",") != strings.Join(want, ",") {
		return fmt.Errorf("brokers %v, want %v", have, want)
	}
	if controller < 1 || controller > int32(len(nodePorts)) {
		return fmt.Errorf("controller %d is not one of the nodes", controller)
	}
	return nil
}

func describeTopics() error {
	a, err := admin()
	if err != nil {
		return err
	}
	defer a.Close()
	listed, err := a.ListTopics()
	if err != nil {
		return err
	}
	d, ok := listed[topic]
	if !ok || d.NumPartitions != parts || d.ReplicationFactor != 3 {
		return fmt.Errorf("ListTopics: %s is %+v (listed %t), want 3 partitions x 3 replicas", topic, d, ok)
	}
	md, err := a.DescribeTopics([]string{topic})
	if err != nil {
		return err
	}
	if len(md) != 1 || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != parts {
		return fmt.Errorf("DescribeTopics: %d topics, want 1 with %d partitions", len(md), parts)
	}
	for _, p := range md[0].Partitions {
		if p.Leader < 1 || len(p.Replicas) != 3 || len(p.Isr) != 3 {
			return fmt.Errorf("partition %d: leader %d replicas %v isr %v", p.ID, p.Leader, p.Replicas, p.Isr)
		}
	}
	return nil
}

// waitTopic waits until ListTopics shows the topic with want partitions, or
// no longer shows it when want is 0.
func waitTopic(a sarama.ClusterAdmin, name string, want int32) error {
	var last int32 = -1
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		listed, err := a.ListTopics()
		if err != nil {
			continue
		}
		last = 0
		if d, ok := listed[name]; ok {
			last = d.NumPartitions
		}
		if last == want {
			return nil
		}
	}
	return fmt.Errorf("%s: %d partitions listed after %s, want %d", name, last, wait, want)
}

func createDeleteTopic() error {
	a, err := admin()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.CreateTopic(newTopic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 3}, false); err != nil {
		return err
	}
	if err := waitTopic(a, newTopic, 3); err != nil {
		return err
	}
	if err := a.DeleteTopic(newTopic); err != nil {
		return err
	}
	return waitTopic(a, newTopic, 0)
}

func describeConfigs() error {
	a, err := admin()
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, e := range entries {
		vals[e.Name] = e.Value
	}
	if vals["cleanup.policy"] != "delete" {
		return fmt.Errorf("cleanup.policy %q, want delete", vals["cleanup.policy"])
	}
	if ms, err := strconv.ParseInt(vals["retention.ms"], 10, 64); err != nil || ms <= 0 {
		return fmt.Errorf("retention.ms %q, want a positive number", vals["retention.ms"])
	}
	return nil
}

// groupHandler collects what a group member reads and marks it consumed;
// done is closed once every record sent has been read.
type groupHandler struct {
	mu   sync.Mutex
	got  map[int32][]*sarama.ConsumerMessage
	left int
	done chan struct{}
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.got[m.Partition] = append(h.got[m.Partition], m)
		h.left--
		if h.left == 0 {
			close(h.done)
		}
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

// groupConsume reads the topic with a consumer group from the oldest offset
// and checks every record in order; closing the group commits its marks.
func groupConsume() error {
	c := config()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	g, err := sarama.NewConsumerGroup(addrs, group, c)
	if err != nil {
		return err
	}
	h := &groupHandler{got: map[int32][]*sarama.ConsumerMessage{}, left: n, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
	}
	cancel()
	runErr := <-errc
	if err := g.Close(); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := int32(0); p < parts; p++ {
		if len(h.got[p]) != len(sent[p]) {
			return fmt.Errorf("partition %d: read %d of %d records", p, len(h.got[p]), len(sent[p]))
		}
		for i, want := range sent[p] {
			if err := sameRecord(p, want, h.got[p][i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupOffsets checks that ListConsumerGroups shows the group and that its
// committed offsets are the partitions' ends.
func groupOffsets() error {
	a, err := admin()
	if err != nil {
		return err
	}
	defer a.Close()
	groups, err := a.ListConsumerGroups()
	if err != nil {
		return err
	}
	if _, ok := groups[group]; !ok {
		return fmt.Errorf("ListConsumerGroups: %v has no %s", groups, group)
	}
	resp, err := a.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		return err
	}
	for p := int32(0); p < parts; p++ {
		b := resp.GetBlock(topic, p)
		if b == nil || b.Err != sarama.ErrNoError || b.Offset != int64(len(sent[p])) {
			return fmt.Errorf("partition %d: committed %+v, want offset %d", p, b, len(sent[p]))
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: conform-sarama BOOTSTRAP TOPIC NODE_PORTS")
		os.Exit(2)
	}
	addrs = strings.Split(os.Args[1], ",")
	topic = os.Args[2]
	newTopic = topic + "-created"
	for _, s := range strings.Split(os.Args[3], ",") {
		p, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "conform-sarama: bad port %q\n", s)
			os.Exit(2)
		}
		nodePorts = append(nodePorts, p)
	}
	check("sarama.producer", produce)
	check("sarama.consumer.partitions", consumePartitions)
	check("sarama.client.offsets", clientOffsets)
	check("sarama.admin.describe_cluster", describeCluster)
	check("sarama.admin.describe_topics", describeTopics)
	check("sarama.admin.create_delete_topic", createDeleteTopic)
	check("sarama.admin.describe_configs", describeConfigs)
	check("sarama.consumer.group", groupConsume)
	check("sarama.admin.groups", groupOffsets)
}
