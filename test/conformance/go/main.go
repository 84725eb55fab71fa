// conform-go - the franz-go (kgo, kadm) checks of fjord's conformance suite.
//
// Usage: conform-go BOOTSTRAP TOPIC NODE_PORTS
//
//	TOPIC       a fresh topic of 3 partitions x 3 replicas this program owns
//	NODE_PORTS  comma-separated Kafka ports of nodes 1, 2, 3 (127.0.0.1)
//
// Prints one line per check: "RESULT <check id> PASS|FAIL <ms>ms <detail>".
// It does not know which checks are expected to fail: test/conformance/run
// compares the results with expected.tsv. Every check asserts on content,
// counts and order; every wait is bounded by a context deadline.
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

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	n       = 1000
	parts   = 3
	spikeAt = 100 // the position in each partition holding its max timestamp
	group   = "conf-go-group"
	wait    = 20 * time.Second
)

type rec struct {
	offset     int64
	key, value string
	seq        int
	ts         int64
}

var (
	bootstrap []string
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

func client(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap...)}, opts...)...)
}

func admin() (*kadm.Client, *kgo.Client, error) {
	cl, err := client()
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

// timestampOf is increasing in seq except for one spike per partition (at
// position spikeAt), so that a lookup by timestamp after it must answer the
// spike, not the record nearest in time.
func timestampOf(base int64, seq int) int64 {
	if seq/parts == spikeAt {
		return base + 10*n + int64(seq)
	}
	return base + int64(seq)
}

// producer: kgo's defaults (acks=all, idempotent) write n keyed records,
// record seq to partition seq % parts; every one is acknowledged and each
// partition's offsets run 0, 1, 2, ... in send order.
func producer() error {
	cl, err := client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	base := time.Now().UnixMilli() - 3600_000
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{
			Partition: int32(i % parts),
			Key:       []byte("k" + strconv.Itoa(i)),
			Value:     []byte("go-" + strconv.Itoa(i) + "-" + strings.Repeat("y", i%50)),
			Headers:   []kgo.RecordHeader{{Key: "seq", Value: []byte(strconv.Itoa(i))}},
			Timestamp: time.UnixMilli(timestampOf(base, i)),
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// ProduceSync lists results in completion order: map each back to its
	// seq; per partition, completion order is offset order.
	index := map[*kgo.Record]int{}
	for i, r := range recs {
		index[r] = i
	}
	res := cl.ProduceSync(ctx, recs...)
	for _, r := range res {
		i := index[r.Record]
		if r.Err != nil {
			return fmt.Errorf("record %d: %w", i, r.Err)
		}
		p := r.Record.Partition
		if p != int32(i%parts) {
			return fmt.Errorf("record %d went to partition %d", i, p)
		}
		if want := int64(len(sent[p])); r.Record.Offset != want {
			return fmt.Errorf("partition %d: record %d got offset %d, want %d", p, i, r.Record.Offset, want)
		}
		if len(sent[p]) > 0 && sent[p][len(sent[p])-1].seq > i {
			return fmt.Errorf("partition %d: record %d acknowledged after record %d", p, i, sent[p][len(sent[p])-1].seq)
		}
		sent[p] = append(sent[p], rec{r.Record.Offset, string(r.Record.Key), string(r.Record.Value), i, timestampOf(base, i)})
	}
	if len(res) != n {
		return fmt.Errorf("acked %d of %d", len(res), n)
	}
	return nil
}

// consumePartitions: a direct (no group) consumer of every partition from
// the start reads every record back exactly, and nothing more.
func consumePartitions() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	offs := map[int32]kgo.Offset{}
	for p := int32(0); p < parts; p++ {
		offs[p] = kgo.NewOffset().AtStart()
	}
	cl, err := client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchMaxWait(300*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	got := map[int32][]*kgo.Record{}
	total := 0
	deadline := time.Now().Add(wait)
	// Poll until everything came, then once more: nothing beyond it.
	for extra := 0; extra < 2 && time.Now().Before(deadline); {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				return fmt.Errorf("fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = append(got[r.Partition], r)
			total++
		})
		if total >= n {
			extra++
		}
	}
	if total != n {
		return fmt.Errorf("read %d records, want %d", total, n)
	}
	for p := int32(0); p < parts; p++ {
		want, have := sent[p], got[p]
		if len(want) != len(have) {
			return fmt.Errorf("partition %d: %d records, want %d", p, len(have), len(want))
		}
		for j, w := range want {
			h := have[j]
			seq := ""
			for _, hd := range h.Headers {
				if hd.Key == "seq" {
					seq = string(hd.Value)
				}
			}
			if h.Offset != w.offset || string(h.Key) != w.key || string(h.Value) != w.value ||
				seq != strconv.Itoa(w.seq) || h.Timestamp.UnixMilli() != w.ts {
				return fmt.Errorf("partition %d position %d: got offset %d key %s seq %s ts %d, want offset %d key %s seq %d ts %d",
					p, j, h.Offset, h.Key, seq, h.Timestamp.UnixMilli(), w.offset, w.key, w.seq, w.ts)
			}
		}
	}
	return nil
}

func ctxWait() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), wait)
}

// metadata: kadm's view of brokers and the topic's partitions.
func metadata() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return err
	}
	var have, want []string
	for _, b := range md.Brokers {
		have = append(have, fmt.Sprintf("%d@%s:%d", b.NodeID, b.Host, b.Port))
	}
	for i, p := range nodePorts {
		want = append(want, fmt.Sprintf("%d@127.0.0.1:%d", i+1, p))
	}
	sort.Strings(have)
	if strings.Join(have, ",") != strings.Join(want, ",") {
		return fmt.Errorf("brokers %v, want %v", have, want)
	}
	if md.Cluster == "" {
		return errors.New("no cluster id")
	}
	td, ok := md.Topics[topic]
	if !ok || td.Err != nil {
		return fmt.Errorf("topic %s: %v", topic, td.Err)
	}
	if len(td.Partitions) != parts {
		return fmt.Errorf("%d partitions, want %d", len(td.Partitions), parts)
	}
	for _, pd := range td.Partitions.Sorted() {
		reps := append([]int32(nil), pd.Replicas...)
		sort.Slice(reps, func(i, j int) bool { return reps[i] < reps[j] })
		if fmt.Sprint(reps) != "[1 2 3]" || len(pd.ISR) != 3 || pd.Err != nil {
			return fmt.Errorf("partition %d: replicas %v isr %v err %v", pd.Partition, pd.Replicas, pd.ISR, pd.Err)
		}
		if pd.Leader < 1 || pd.Leader > 3 {
			return fmt.Errorf("partition %d: leader %d", pd.Partition, pd.Leader)
		}
	}
	return nil
}

func listed(lo kadm.ListedOffsets, err error, want func(p int32) (int64, int64)) error {
	if err != nil {
		return err
	}
	if err := lo.Error(); err != nil {
		return err
	}
	for p := int32(0); p < parts; p++ {
		o, ok := lo.Lookup(topic, p)
		wo, wts := want(p)
		if !ok || o.Offset != wo || (wts >= 0 && o.Timestamp != wts) {
			return fmt.Errorf("partition %d: offset %d ts %d, want offset %d ts %d", p, o.Offset, o.Timestamp, wo, wts)
		}
	}
	return nil
}

// listOffsets: start, end and by-timestamp offsets agree with what was written.
func listOffsets() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	start := func(p int32) (int64, int64) { return 0, -1 }
	end := func(p int32) (int64, int64) { return int64(len(sent[p])), -1 }
	if err := listedWant(adm.ListStartOffsets(ctx, topic))(start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if err := listedWant(adm.ListEndOffsets(ctx, topic))(end); err != nil {
		return fmt.Errorf("end: %w", err)
	}
	return nil
}

func listedWant(lo kadm.ListedOffsets, err error) func(func(p int32) (int64, int64)) error {
	return func(want func(p int32) (int64, int64)) error { return listed(lo, err, want) }
}

// listOffsetsAfterMilli: ListOffsets by timestamp finds, per partition, the
// first record at or after it: before the spike the record itself, after
// it the spike (whose larger timestamp comes first). kgo compresses its
// batches by default, so the broker must look inside compressed batches.
func listOffsetsAfterMilli() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	for _, pos := range []int{spikeAt / 2, len(sent[0]) / 2} {
		at := sent[0][pos].ts
		want := func(p int32) (int64, int64) {
			for _, r := range sent[p] {
				if r.ts >= at {
					return r.offset, r.ts
				}
			}
			return -1, -1
		}
		if err := listedWant(adm.ListOffsetsAfterMilli(ctx, at, topic))(want); err != nil {
			return fmt.Errorf("after %d: %w", at, err)
		}
	}
	return nil
}

// offsetForLeaderEpoch: OffsetForLeaderEpoch (KIP-320; clients validate
// their position with it after a leader change) for the current leader
// epoch answers that epoch and the log end offset.
func offsetForLeaderEpoch() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.ReplicaID = -1
	rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
	rt.Topic = topic
	epochs := map[int32]int32{}
	for p := int32(0); p < parts; p++ {
		epochs[p] = md.Topics[topic].Partitions[p].LeaderEpoch
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition = p
		rp.CurrentLeaderEpoch = epochs[p]
		rp.LeaderEpoch = epochs[p]
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	seen := 0
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("partition %d: %w", p.Partition, err)
			}
			want := int64(len(sent[p.Partition]))
			if t.Topic != topic || p.LeaderEpoch != epochs[p.Partition] || p.EndOffset != want {
				return fmt.Errorf("partition %d: epoch %d end offset %d, want epoch %d end offset %d",
					p.Partition, p.LeaderEpoch, p.EndOffset, epochs[p.Partition], want)
			}
			seen++
		}
	}
	if seen != parts {
		return fmt.Errorf("answers for %d partitions, want %d", seen, parts)
	}
	return nil
}

// listOffsetsMaxTimestamp: the max-timestamp spec (ListOffsets v7+, KIP-734)
// answers the record with the largest timestamp. Writes one batch of three
// records per partition whose middle record holds the maximum (a lingering
// producer, so the three share a batch; compressible values, so kgo's
// default compression applies as it does for real data): the answer is that
// record, not the batch's first or last offset. Runs last: it adds records
// and a producer.
func listOffsetsMaxTimestamp() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	cl, err := client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(500*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	t := time.Now().UnixMilli() + 60_000
	ts := []int64{t + 1000, t + 3000, t + 2000}
	var recs []*kgo.Record
	for p := int32(0); p < parts; p++ {
		for k, v := range ts {
			recs = append(recs, &kgo.Record{Partition: p, Key: []byte("max" + strconv.Itoa(k)),
				Value: []byte(strings.Repeat("z", 1000)), Timestamp: time.UnixMilli(v)})
		}
	}
	ctx, cancel := ctxWait()
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return err
	}
	middle := map[int32]int64{}
	for i, r := range recs {
		if i%len(ts) == 1 {
			middle[r.Partition] = r.Offset
		}
	}
	adm := kadm.NewClient(cl)
	return listedWant(adm.ListMaxTimestampOffsets(ctx, topic))(func(p int32) (int64, int64) {
		return middle[p], ts[1]
	})
}

func createTopics() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	rs, err := adm.CreateTopics(ctx, 3, 3, nil, newTopic)
	if err == nil {
		err = rs.Error()
	}
	if err != nil {
		return err
	}
	// The node that answered shows the topic at once; the others follow the
	// catalog a few milliseconds later (as Kafka's brokers follow their
	// controller), and Metadata may ask any of them.
	var td kadm.TopicDetail
	for time.Now().Add(time.Second).Before(deadlineOf(ctx)) {
		md, err := adm.Metadata(ctx, newTopic)
		if err != nil {
			return err
		}
		td = md.Topics[newTopic]
		if td.Err == nil && len(td.Partitions) == 3 && td.Partitions.NumReplicas() == 3 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("created topic: err %v, %d partitions, %d replicas", td.Err, len(td.Partitions), td.Partitions.NumReplicas())
}

func deleteTopics() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	rs, err := adm.DeleteTopics(ctx, newTopic)
	if err == nil {
		err = rs.Error()
	}
	if err != nil {
		return err
	}
	for time.Now().Add(time.Second).Before(deadlineOf(ctx)) {
		ts, err := adm.ListTopics(ctx)
		if err != nil {
			return err
		}
		if !ts.Has(newTopic) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s still listed after delete", newTopic)
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func describeConfigs() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return err
	}
	if len(rcs) != 1 || rcs[0].Err != nil {
		return fmt.Errorf("configs: %v", rcs)
	}
	vals := map[string]string{}
	for _, c := range rcs[0].Configs {
		if c.Value != nil {
			vals[c.Key] = *c.Value
		}
	}
	if vals["cleanup.policy"] != "delete" || vals["retention.ms"] == "" {
		return fmt.Errorf("cleanup.policy=%q retention.ms=%q", vals["cleanup.policy"], vals["retention.ms"])
	}
	return nil
}

func describeLogDirs() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	all, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		return err
	}
	for b := int32(1); b <= 3; b++ {
		if err := all[b].Error(); err != nil {
			return fmt.Errorf("node %d: %w", b, err)
		}
		for p := int32(0); p < parts; p++ {
			var size int64 = -1
			if dp, ok := all[b].LookupPartition(topic, p); ok {
				size = dp.Size
			}
			if size <= 0 {
				return fmt.Errorf("node %d partition %d: size %d", b, p, size)
			}
		}
	}
	return nil
}

func describeProducers() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	set := kadm.TopicsSet{topic: {0: {}, 1: {}, 2: {}}}
	dt, err := adm.DescribeProducers(ctx, set)
	if err != nil {
		return err
	}
	for p := int32(0); p < parts; p++ {
		dp := dt[topic].Partitions[p]
		if dp.Err != nil {
			return fmt.Errorf("partition %d: %w", p, dp.Err)
		}
		ps := dp.ActiveProducers.Sorted()
		want := int32(len(sent[p]) - 1)
		if len(ps) != 1 || ps[0].LastSequence != want {
			return fmt.Errorf("partition %d: producers %v, want one with last sequence %d", p, ps, want)
		}
	}
	return nil
}

// groupConsumer: a group member reads everything and commits.
func groupConsumer() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	cl, err := client(kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(300*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	got := map[int32][]string{}
	total := 0
	deadline := time.Now().Add(wait)
	for total < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				return fmt.Errorf("poll: %w", fe.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = append(got[r.Partition], string(r.Key))
			total++
		})
	}
	if total != n {
		return fmt.Errorf("group consumer read %d of %d", total, n)
	}
	for p := int32(0); p < parts; p++ {
		for j, w := range sent[p] {
			if got[p][j] != w.key {
				return fmt.Errorf("partition %d position %d: key %s, want %s", p, j, got[p][j], w.key)
			}
		}
	}
	ctx, cancel := ctxWait()
	defer cancel()
	return cl.CommitUncommittedOffsets(ctx)
}

// groupSplit: two members of one group (autocommit, which commits before
// partitions are revoked) split the partitions and together read every
// record once.
func groupSplit() error {
	if len(sent) == 0 {
		return errors.New("the producer check wrote nothing")
	}
	var mu sync.Mutex
	assigned := [2]map[int32]bool{{}, {}}
	var cls [2]*kgo.Client
	for i := range cls {
		i := i
		cl, err := client(kgo.ConsumerGroup(group+"-split"), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchMaxWait(300*time.Millisecond), kgo.HeartbeatInterval(500*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				for _, p := range m[topic] {
					assigned[i][p] = true
				}
			}),
			kgo.OnPartitionsRevoked(func(ctx context.Context, c *kgo.Client, m map[string][]int32) {
				c.CommitUncommittedOffsets(ctx)
				mu.Lock()
				defer mu.Unlock()
				for _, p := range m[topic] {
					delete(assigned[i], p)
				}
			}))
		if err != nil {
			return err
		}
		defer cl.Close()
		cls[i] = cl
	}
	split := func() bool {
		mu.Lock()
		defer mu.Unlock()
		all := map[int32]bool{}
		for i := range assigned {
			for p := range assigned[i] {
				all[p] = true
			}
		}
		return len(assigned[0]) > 0 && len(assigned[1]) > 0 && len(all) == parts &&
			len(assigned[0])+len(assigned[1]) == parts
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(wait)
	for (len(seen) < n || !split()) && time.Now().Before(deadline) {
		for _, cl := range cls {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			fs := cl.PollFetches(ctx)
			cancel()
			var twice string
			fs.EachRecord(func(r *kgo.Record) {
				id := fmt.Sprintf("%d/%d", r.Partition, r.Offset)
				if seen[id] {
					twice = id
				}
				seen[id] = true
			})
			if twice != "" {
				return fmt.Errorf("record %s read twice", twice)
			}
		}
	}
	if !split() {
		return fmt.Errorf("the partitions were not split: %v and %v", assigned[0], assigned[1])
	}
	if len(seen) != n {
		return fmt.Errorf("the two members read %d of %d", len(seen), n)
	}
	return nil
}

// groups: kadm lists the group and its committed offsets (the end offsets).
func groups() error {
	adm, cl, err := admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := ctxWait()
	defer cancel()
	lg, err := adm.ListGroups(ctx)
	if err != nil {
		return err
	}
	if _, ok := lg[group]; !ok {
		return fmt.Errorf("groups %v lack %s", lg.Groups(), group)
	}
	or, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	for p := int32(0); p < parts; p++ {
		o, ok := or.Lookup(topic, p)
		if !ok || o.Err != nil || o.At != int64(len(sent[p])) {
			return fmt.Errorf("partition %d: committed %d (%v), want %d", p, o.At, o.Err, len(sent[p]))
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: conform-go BOOTSTRAP TOPIC NODE_PORTS")
		os.Exit(2)
	}
	bootstrap = strings.Split(os.Args[1], ",")
	topic = os.Args[2]
	newTopic = topic + "-created"
	for _, s := range strings.Split(os.Args[3], ",") {
		p, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad port", s)
			os.Exit(2)
		}
		nodePorts = append(nodePorts, p)
	}
	check("go.producer", producer)
	check("go.consumer.partitions", consumePartitions)
	check("go.admin.metadata", metadata)
	check("go.admin.list_offsets", listOffsets)
	check("go.admin.list_offsets_by_timestamp", listOffsetsAfterMilli)
	check("go.offset_for_leader_epoch", offsetForLeaderEpoch)
	check("go.admin.create_topics", createTopics)
	check("go.admin.delete_topics", deleteTopics)
	check("go.admin.describe_configs", describeConfigs)
	check("go.admin.describe_log_dirs", describeLogDirs)
	check("go.admin.describe_producers", describeProducers)
	check("go.consumer.group", groupConsumer)
	check("go.consumer.group_split", groupSplit)
	check("go.admin.groups", groups)
	check("go.admin.list_offsets_max_timestamp", listOffsetsMaxTimestamp)
}
