/**
 * The configuration each node's editor saves (its `defaults`), shared by the runtime adapters, the editor
 * files in nodes/*.html and the tests. Durations are a number plus a unit, as in Node-RED's delay/trigger
 * nodes; property fields are TypedInputs (`msg` path or `jsonata` expression).
 */
import type { Node, NodeDef } from 'node-red';
import type { ApiVersion, ConnectionOptions, KafkaConnection } from '../../engine';
import type { AggregateName } from '../../engine/types';

export type TimeUnit = 'ms' | 's' | 'min' | 'h' | 'd';
export type PropertyType = 'msg' | 'jsonata';

/** A TypedInput that reads a value from the incoming message. */
export interface PropertyField { value: string; type: PropertyType }

/** Fields every record-reading node shares: where the value, key and event time come from. */
export interface RecordFields {
  /** Value read for the aggregates. Default `payload` (msg). */
  valueProp: string; valuePropType: PropertyType;
  /** Key. Default `key` (msg); an empty msg.key falls back to msg.topic. */
  keyProp: string; keyPropType: PropertyType;
  aggregates: AggregateName[];
}

export interface WindowNodeConfig extends NodeDef, RecordFields {
  /** `event` (default) or `processing`. */
  timeMode: 'event' | 'processing';
  /** Event time. Default `timestamp` (msg). */
  timeProp: string; timePropType: PropertyType;
  /** Unit of numeric timestamps: s | ms (default) | us | ns. */
  timestampUnit: 's' | 'ms' | 'us' | 'ns';
  /** `error` (default) or `processingTime`: what to do when a record has no usable timestamp. */
  onMissingTimestamp: 'error' | 'processingTime';
  /** Tumbling and sliding: size. Sliding: slide. Tumbling and sliding: offset. Session: gap. */
  size?: number; sizeUnits?: TimeUnit;
  slide?: number; slideUnits?: TimeUnit;
  offset?: number; offsetUnits?: TimeUnit;
  gap?: number; gapUnits?: TimeUnit;
  /** B: bounded out-of-orderness of the watermark. */
  maxOutOfOrderness: number; maxOutOfOrdernessUnits: TimeUnit;
  /** Sources idle this long are left out of the watermark; 0 = off. */
  idleTimeout: number; idleTimeoutUnits: TimeUnit;
  /** L: allowed lateness. */
  allowedLateness: number; allowedLatenessUnits: TimeUnit;
  /** `port`: late records to output 2 (outputs = 2); `drop`: counted only (outputs = 1). */
  lateOutput: 'port' | 'drop';
  /** `close` (default) or `update`. */
  emit: 'close' | 'update';
  retractions: boolean;
  /** On node removal: fire all open windows (default true) or discard them. */
  drainOnRemove: boolean;
}

export interface AggregateNodeConfig extends NodeDef, RecordFields {
  /** `update`: a result on every record; `interval`: every `interval` for the keys that changed. */
  emit: 'update' | 'interval';
  interval: number; intervalUnits: TimeUnit;
  /** With `interval`: clear each key's aggregates after it was emitted (per-interval statistics). */
  resetAfterEmit: boolean;
  /** A key that received nothing for this long is forgotten; 0 = never. */
  ttl: number; ttlUnits: TimeUnit;
}

export type FilterOperator =
  | 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'btwn' | 'cont' | 'regex'
  | 'true' | 'false' | 'null' | 'nnull' | 'istype';

/** One rule: `property op value [value2]`, as in the switch node. */
export interface FilterRuleConfig {
  /** Property path on msg, e.g. `payload.temperature`. */
  property: string;
  op: FilterOperator;
  /** Operand; for `istype` one of string|number|boolean|object|array|null|undefined. */
  value?: string;
  /** `num` | `str` | `bool` | `msg`: how `value` is read (TypedInput type). */
  valueType?: 'num' | 'str' | 'bool' | 'msg';
  /** Upper bound of `btwn` (inclusive on both ends). */
  value2?: string;
  value2Type?: 'num' | 'str' | 'msg';
  /** `regex` only. */
  ignoreCase?: boolean;
}

export interface FilterNodeConfig extends NodeDef {
  mode: 'rules' | 'jsonata';
  rules: FilterRuleConfig[];
  /** `all` (AND) or `any` (OR). */
  combine: 'all' | 'any';
  expression: string;
  /** Send rejected messages to output 2 (outputs = 2). */
  rejectOutput: boolean;
}

export interface MapNodeConfig extends NodeDef {
  /** msg property to set; default `payload`. */
  property: string;
  expression: string;
  /** An array result becomes one message per element. */
  flatMap: boolean;
}

export interface DebeziumNodeConfig extends NodeDef {
  /** `auto` (default), `envelope` (flat rows refused) or `unwrap` (any JSON object is a flat row). */
  format: 'auto' | 'envelope' | 'unwrap';
  /** The unwrap transform's `add.fields.prefix`; default `__`. */
  fieldPrefix: string;
  /** Without schemas: JSON object of column → logical type (`{"amount": "Decimal(2)", "created": "MicroTimestamp"}`). */
  columnTypes: string;
  /** `single` (default): one output; `operation`: create, update, delete, read, truncate, other; `table`: one per table + other. */
  routing: 'single' | 'operation' | 'table';
  /** Routing by table: `table`, `schema.table` or `db.schema.table`. */
  tables: string[];
  /** Keep the current row per primary key and emit `{op, key, before, after}` with before from it. */
  materialize: boolean;
}

/** streamkit-kafka-broker (config node). User name and password are credentials, never in the flow. */
export interface KafkaBrokerConfig extends NodeDef {
  /** `host:port` entries separated by commas. */
  brokers: string;
  clientId: string;
  /** TLS on; `tls` names a Node-RED tls-config node (CA, client certificate), or none for the system CAs. */
  usetls: boolean;
  tls: string;
  sasl: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  connectionTimeout: number;
  requestTimeout: number;
}
export interface KafkaBrokerCredentials { username?: string; password?: string }

/** The running config node, as kafka in / kafka out see it. */
export interface KafkaBrokerNode extends Node<KafkaBrokerCredentials> {
  /** The shared connection, or null when the configuration is invalid (`problem` says why). */
  connection: KafkaConnection | null;
  problem: string | undefined;
}

export interface KafkaInConfig extends NodeDef {
  broker: string;
  /** `list`: topics separated by commas; `regex`: one regular expression (matched when the node starts). */
  topicType: 'list' | 'regex';
  topics: string;
  groupId: string;
  /** Where a group without a committed offset starts. */
  start: 'earliest' | 'latest';
  keyFormat: 'string' | 'json' | 'buffer';
  valueFormat: 'string' | 'json' | 'buffer';
  /** `record`: one message per record; `batch`: one message per fetched batch (msg.payload = records). */
  output: 'record' | 'batch';
  maxInFlight: number;
  resumeAt: number;
  /** Copy undecodable records to `deadLetterTopic` (they always go to Catch). */
  deadLetter: boolean;
  deadLetterTopic: string;
}

export interface KafkaOutConfig extends NodeDef {
  broker: string;
  /** Empty: msg.topic. */
  topic: string;
  valueProp: string; valuePropType: PropertyType;
  keyProp: string; keyPropType: PropertyType;
  /** `none`: the partitioner (by key); `num`: this partition; `msg`: a message property. */
  partition: string; partitionType: 'none' | 'num' | 'msg';
  acks: 'all' | 'leader' | 'none';
  compression: 'none' | 'gzip' | 'snappy';
  idempotent: boolean;
  /** Batching: wait up to `linger` ms for more records, send at most `batchSize` per request. */
  linger: number;
  batchSize: number;
  /** Records held while the brokers cannot be reached; more fail with an error. */
  maxBuffered: number;
  /** An array msg.payload is a batch: one record per element (kafka in's batch output), not one JSON record. */
  batch: boolean;
}

/** The InfluxDB connection (config node `streamkit-influxdb`); token, username and password are credentials. */
export interface InfluxConfigNodeConfig extends NodeDef {
  url: string;
  /** `v2`: /api/v2/write (InfluxDB 2.x, 3, Cloud, 1.8+); `v1`: /write (InfluxDB 1.x). */
  version: 'v2' | 'v1';
  org: string;
  bucket: string;
  database: string;
  retentionPolicy: string;
  /** Use the `tls-config` node `tls` for https. */
  usetls: boolean;
  tls: string;
  /** Request timeout, seconds. */
  timeout: number;
}

export interface InfluxCredentials { token?: string; username?: string; password?: string }

export interface InfluxWriteNodeConfig extends NodeDef {
  /** The config node. */
  influxdb: string;
  /** Default measurement (msg.measurement or a point's own wins). */
  measurement: string;
  /** Overrides of the config node's bucket/org (v2) or database/retention policy (v1); empty: the config node's. */
  bucket: string; org: string; database: string; retentionPolicy: string;
  /** What is written: fields, points or lines. Default `payload` (msg). */
  fieldsProp: string; fieldsPropType: PropertyType;
  /** The key, written as the tag `keyTag`. Default `key` (msg), falling back to msg.topic. */
  keyProp: string; keyPropType: PropertyType;
  keyTag: string;
  /** Comma-separated properties of a fields object written as tags. */
  tagProps: string;
  /** Comma-separated fields written as integers. */
  integerFields: string;
  /** Time of a point without its own: window `start` (default) or `end`, msg.`timestamp`, or `now`. */
  timeFrom: 'start' | 'end' | 'timestamp' | 'now';
  precision: 's' | 'ms' | 'us' | 'ns';
  batchSize: number;
  /** Requests in flight at once per bucket; writes of the same point are never in two of them. */
  maxInFlight: number;
  flushInterval: number; flushIntervalUnits: TimeUnit;
  /** Buffer bound, lines. */
  maxLines: number;
  /** `block` (default): hold back done() until there is room; `drop-oldest`: drop the oldest lines, counted. */
  overflow: 'block' | 'drop-oldest';
  /** Retry delays, seconds; give up after maxRetryTime seconds (0 = never). */
  retryMinDelay: number; retryMaxDelay: number; maxRetryTime: number;
}

/** What a write node gets from its config node. */
export interface InfluxConnection {
  version: ApiVersion;
  /** Connection options without the batch size (each writer adds its own). */
  connection: Omit<ConnectionOptions, 'batchSize'>;
  org: string; bucket: string; database: string; retentionPolicy: string;
}

export interface InfluxConfigNode extends Node {
  /** The validated connection; throws with what is wrong. */
  settings(): InfluxConnection;
}

