// conform.js - the kafkajs checks of fjord's conformance suite.
//
// Usage: node conform.js BOOTSTRAP TOPIC ALL_TOPICS NODE_PORTS WRITTEN_JSON
//   TOPIC         a fresh topic of 3 partitions x 3 replicas this script owns
//   ALL_TOPICS    comma-separated names of every topic the cluster has
//   NODE_PORTS    comma-separated Kafka ports of nodes 1, 2, 3 (127.0.0.1)
//   WRITTEN_JSON  where to write what the producers wrote (partition ->
//                 [[offset, key, value], ...]): kafkajs has no assign()-style
//                 consumer, only group consumers, so test/conformance/run
//                 reads these records back with another client.
//
// Prints one line per check: "RESULT <check id> PASS|FAIL <ms>ms <detail>".
// It does not know which checks are expected to fail: test/conformance/run
// compares the results with expected.tsv. Every wait is bounded.
'use strict'

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const fs = require('fs')
const { Kafka, logLevel, ConfigResourceTypes } = require('kafkajs')

const N = 1000
const PARTS = 3
const GROUP = 'conf-js-group'
const WAIT_MS = 20000

const [bootstrap, topic, allTopicsArg, portsArg, writtenPath] = process.argv.slice(2)
if (!writtenPath) {
  console.error('usage: node conform.js BOOTSTRAP TOPIC ALL_TOPICS NODE_PORTS WRITTEN_JSON')
  process.exit(2)
}
const newTopic = topic + '-created'
const allTopics = allTopicsArg.split(',').sort()
const nodePorts = portsArg.split(',').map(Number)

// kafkajs's last warnings and errors during the running check.
const recentLogs = []

const kafka = new Kafka({
  clientId: 'fjord-conformance',
  brokers: bootstrap.split(','),
  // kafkajs's own warnings and errors go with a failing check's detail:
  // some of its calls swallow the cause (describeCluster answers null when
  // every broker failed).
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, label, log }) => {
    recentLogs.push(label + ' ' + namespace + ': ' + log.message + (log.error ? ' (' + log.error + ')' : ''))
    if (recentLogs.length > 5) recentLogs.shift()
  },
  connectionTimeout: 5000,
  requestTimeout: 10000,
  // Bounded: a missing API must fail a check, not retry for minutes.
  retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }
})

// What the producers wrote, per partition in offset order: [offset, key, value, ts].
const sent = {}
const base = Date.now() - 3600 * 1000

function expect (ok, what) {
  if (!ok) throw new Error(what)
}

function within (promise, ms, what) {
  let timer
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what + ': no answer in ' + ms + ' ms')), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

async function check (id, fn) {
  const t0 = Date.now()
  let status = 'PASS'
  let detail = 'ok'
  recentLogs.length = 0
  try {
    await within(fn(), WAIT_MS + 5000, id)
  } catch (e) {
    status = 'FAIL'
    detail = String(e && e.stack ? e.message : e)
    if (recentLogs.length > 0) detail += ' | kafkajs logged: ' + recentLogs.join(' | ')
    detail = detail.replace(/\n/g, ' ')
  }
  console.log('RESULT ' + id + ' ' + status + ' ' + (Date.now() - t0) + 'ms ' + detail)
}

// Sends records seq from..to-1 (seq to partition seq % PARTS) in batches of
// 100 with the given producer; checks that each partition's base offsets
// continue where the previous batch ended, and records what was written.
async function produce (producer, from, to, prefix) {
  for (let start = from; start < to; start += 100) {
    const messages = []
    for (let i = start; i < Math.min(start + 100, to); i++) {
      messages.push({
        partition: i % PARTS,
        key: 'k' + i,
        value: prefix + '-' + i + '-' + 'j'.repeat(i % 50),
        headers: { seq: String(i) },
        timestamp: String(base + i)
      })
    }
    const res = await producer.send({ topic, messages })
    const byPart = {}
    for (const r of res) {
      expect(r.errorCode === 0, 'partition ' + r.partition + ' error ' + r.errorCode)
      byPart[r.partition] = Number(r.baseOffset)
    }
    const next = {}
    for (const m of messages) {
      const p = m.partition
      sent[p] = sent[p] || []
      if (next[p] === undefined) {
        expect(byPart[p] === sent[p].length, 'partition ' + p + ': batch at offset ' + byPart[p] +
          ', want ' + sent[p].length)
        next[p] = byPart[p]
      }
      sent[p].push([next[p]++, m.key, m.value, base + Number(m.headers.seq)])
    }
  }
}

// The default producer (acks -1; kafkajs is not idempotent by default)
// writes the first half.
async function producerDefault () {
  const producer = kafka.producer()
  await producer.connect()
  try {
    await produce(producer, 0, N / 2, 'js')
  } finally {
    await producer.disconnect()
  }
}

// An idempotent producer (InitProducerId, sequence numbers) writes the rest.
async function producerIdempotent () {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    await produce(producer, N / 2, N, 'jsi')
  } finally {
    await producer.disconnect()
  }
}

async function withAdmin (fn) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function describeCluster () {
  await withAdmin(async (admin) => {
    const c = await admin.describeCluster()
    const have = c.brokers.map((b) => b.nodeId + '@' + b.host + ':' + b.port).sort()
    const want = nodePorts.map((p, i) => (i + 1) + '@127.0.0.1:' + p).sort()
    expect(JSON.stringify(have) === JSON.stringify(want), 'brokers ' + have + ', want ' + want)
    expect(c.clusterId, 'no cluster id')
  })
}

// kafkajs lists internal topics too (it has no flag to leave them out):
// those (__consumer_offsets, ...) are set aside.
async function listTopics () {
  await withAdmin(async (admin) => {
    const have = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort()
    expect(JSON.stringify(have) === JSON.stringify(allTopics), 'topics ' + have + ', want ' + allTopics)
  })
}

async function fetchTopicMetadata () {
  await withAdmin(async (admin) => {
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(md.topics.length === 1 && md.topics[0].name === topic, 'topics ' + JSON.stringify(md.topics))
    const ps = md.topics[0].partitions.slice().sort((a, b) => a.partitionId - b.partitionId)
    expect(ps.length === PARTS, ps.length + ' partitions, want ' + PARTS)
    ps.forEach((p, i) => {
      const reps = p.replicas.slice().sort()
      expect(p.partitionId === i && p.partitionErrorCode === 0, 'partition ' + JSON.stringify(p))
      expect(JSON.stringify(reps) === '[1,2,3]' && p.isr.length === 3, 'partition ' + i + ' replicas ' +
        reps + ' isr ' + p.isr)
      expect(reps.includes(p.leader), 'partition ' + i + ' leader ' + p.leader)
    })
  })
}

async function fetchTopicOffsets () {
  expect(Object.keys(sent).length === PARTS, 'the producer checks wrote nothing')
  await withAdmin(async (admin) => {
    const offs = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
    expect(offs.length === PARTS, offs.length + ' partitions')
    for (const o of offs) {
      const want = sent[o.partition].length
      expect(Number(o.low) === 0 && Number(o.high) === want && Number(o.offset) === want,
        'partition ' + o.partition + ': low ' + o.low + ' high ' + o.high + ', want 0 and ' + want)
    }
  })
}

// ListOffsets by timestamp: per partition the first record at or after it.
async function fetchTopicOffsetsByTimestamp () {
  expect(Object.keys(sent).length === PARTS, 'the producer checks wrote nothing')
  await withAdmin(async (admin) => {
    const at = base + 150
    const offs = await admin.fetchTopicOffsetsByTimestamp(topic, at)
    expect(offs.length === PARTS, offs.length + ' partitions')
    for (const o of offs) {
      const first = sent[o.partition].find((r) => r[3] >= at)
      expect(Number(o.offset) === first[0], 'partition ' + o.partition + ': offset ' + o.offset +
        ' for timestamp ' + at + ', want ' + first[0])
    }
  })
}

async function createTopics () {
  await withAdmin(async (admin) => {
    const made = await admin.createTopics({
      topics: [{ topic: newTopic, numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
      timeout: 10000
    })
    expect(made === true, 'createTopics returned ' + made)
    const md = await admin.fetchTopicMetadata({ topics: [newTopic] })
    expect(md.topics[0].partitions.length === 3, 'created with ' + md.topics[0].partitions.length + ' partitions')
  })
}

async function deleteTopics () {
  await withAdmin(async (admin) => {
    await admin.deleteTopics({ topics: [newTopic], timeout: 10000 })
    // The node that answered shows the deletion at once; the others follow
    // the catalog a few milliseconds later (as Kafka's brokers follow their
    // controller), and listTopics may ask any of them.
    let names = []
    for (let i = 0; i < 50; i++) { // bounded: 10 s
      names = await admin.listTopics()
      if (!names.includes(newTopic)) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(!names.includes(newTopic), newTopic + ' still listed 10 s after delete')
  })
}

async function describeConfigs () {
  await withAdmin(async (admin) => {
    const r = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false
    })
    const entries = {}
    for (const e of r.resources[0].configEntries) entries[e.configName] = e.configValue
    expect(entries['cleanup.policy'] === 'delete' && entries['retention.ms'],
      'cleanup.policy=' + entries['cleanup.policy'] + ' retention.ms=' + entries['retention.ms'])
  })
}

// The group consumer (kafkajs's only consumer) reads everything and commits.
async function groupConsumer () {
  expect(Object.keys(sent).length === PARTS, 'the producer checks wrote nothing')
  const consumer = kafka.consumer({ groupId: GROUP, retry: { retries: 2 } })
  const got = {}
  let n = 0
  let crashed = null
  consumer.on(consumer.events.CRASH, (e) => { crashed = e.payload.error })
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    let done
    const all = new Promise((resolve) => { done = resolve })
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => {
        (got[partition] = got[partition] || []).push(message.key.toString())
        if (++n >= N) done()
      }
    })
    const t0 = Date.now()
    while (n < N && !crashed && Date.now() - t0 < WAIT_MS) {
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 200))])
    }
    expect(!crashed, 'consumer crashed: ' + (crashed && crashed.message))
    expect(n === N, 'group consumer read ' + n + ' of ' + N)
    for (let p = 0; p < PARTS; p++) {
      const want = sent[p].map((r) => r[1])
      expect(JSON.stringify(got[p]) === JSON.stringify(want), 'partition ' + p + ': keys differ from what was written')
    }
  } finally {
    await consumer.disconnect()
  }
}

// Two consumers of one group split the partitions and together read every
// record once.
async function groupSplit () {
  expect(Object.keys(sent).length === PARTS, 'the producer checks wrote nothing')
  const group = GROUP + '-split'
  // Heartbeats every 500 ms and fetches waiting at most 500 ms (kafkajs
  // heartbeats between fetches): the first member learns of the second's
  // join sooner than with the defaults (3 s, 5 s).
  const opts = {
    groupId: group,
    retry: { retries: 2 },
    heartbeatInterval: 500,
    sessionTimeout: 10000,
    maxWaitTimeInMs: 500
  }
  const cs = [kafka.consumer(opts), kafka.consumer(opts)]
  const assigned = [[], []]
  const seen = new Set()
  let twice = null
  let crashed = null
  try {
    for (let i = 0; i < 2; i++) {
      const c = cs[i]
      c.on(c.events.CRASH, (e) => { crashed = e.payload.error })
      c.on(c.events.GROUP_JOIN, (e) => {
        assigned[i] = Object.values(e.payload.memberAssignment).flat()
      })
      await c.connect()
      await c.subscribe({ topic, fromBeginning: true })
      await c.run({
        autoCommit: true,
        eachMessage: async ({ partition, message }) => {
          const id = partition + '/' + message.offset
          if (seen.has(id)) twice = id
          seen.add(id)
        }
      })
    }
    const t0 = Date.now()
    const split = () => assigned[0].length > 0 && assigned[1].length > 0 &&
      new Set(assigned[0].concat(assigned[1])).size === PARTS &&
      assigned[0].length + assigned[1].length === PARTS
    while ((seen.size < N || !split()) && !crashed && Date.now() - t0 < WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(!crashed, 'consumer crashed: ' + (crashed && crashed.message))
    expect(split(), 'the partitions were not split: ' + JSON.stringify(assigned))
    expect(twice === null, 'record ' + twice + ' read twice')
    expect(seen.size === N, 'the two consumers read ' + seen.size + ' of ' + N)
  } finally {
    for (const c of cs) await c.disconnect()
  }
}

async function groups () {
  await withAdmin(async (admin) => {
    const gs = (await admin.listGroups()).groups.map((g) => g.groupId)
    expect(gs.includes(GROUP), 'groups ' + gs + ' lack ' + GROUP)
    const offs = await admin.fetchOffsets({ groupId: GROUP, topics: [topic] })
    for (const p of offs[0].partitions) {
      expect(Number(p.offset) === sent[p.partition].length, 'partition ' + p.partition + ': committed ' + p.offset)
    }
  })
}

async function main () {
  await check('js.producer', producerDefault)
  await check('js.producer.idempotent', producerIdempotent)
  fs.writeFileSync(writtenPath, JSON.stringify(sent))
  await check('js.admin.describe_cluster', describeCluster)
  await check('js.admin.list_topics', listTopics)
  await check('js.admin.fetch_topic_metadata', fetchTopicMetadata)
  await check('js.admin.fetch_topic_offsets', fetchTopicOffsets)
  await check('js.admin.fetch_topic_offsets_by_timestamp', fetchTopicOffsetsByTimestamp)
  await check('js.admin.create_topics', createTopics)
  await check('js.admin.delete_topics', deleteTopics)
  await check('js.admin.describe_configs', describeConfigs)
  await check('js.consumer.group', groupConsumer)
  await check('js.consumer.group_split', groupSplit)
  await check('js.admin.groups', groups)
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
