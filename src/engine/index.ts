/** StreamKit engine: event-time windows, watermarks and keyed aggregates, usable from plain Node.js. */
export * from './types';
export { EngineError, type EngineErrorReason } from './errors';
export { WindowOperator, configKey } from './windows/window-operator';
export { KeyedAggregator, type KeyedAggregatorOptions, type KeyedResult } from './aggregates/keyed-aggregator';
export { AGGREGATE_NAMES, DEFAULT_AGGREGATES, AggregateSet } from './aggregates/accumulator';
export { parseTimestamp, timestampExtractor, type TimestampUnit } from './time/timestamp';
export { toMillis, type DurationUnit } from './time/duration';
export { compileRules, compileRule, type Rule, type RuleOperator, type Operand, type Predicate } from './filter/rules';
export { compileGetter, parsePath } from './filter/path';
export { SerialQueue } from './queue/serial-queue';
export { compileJsonataSubset, NOT_COMPILED } from './expr/jsonata-subset';
export { StateRegistry, registry } from './state/registry';
export { RateMeter } from './util/rate';
export { ChangeDecoder, type ChangeDecoderOptions, type ChangeFormat, type ChangeInput } from './cdc/decoder';
export { MaterializedTable, UNAVAILABLE_PLACEHOLDER, type MaterializedChange, type StreamPosition } from './cdc/materialized-table';
export { matchesTable, qualifiedName, type CdcOp, type CdcRecord, type Row, type TableId, type TransactionInfo } from './cdc/record';
export { parseJson, NumberText } from './cdc/lossless-json';
export { createRouter, OPERATION_PORTS, type Router, type RoutingMode } from './cdc/routing';
export { MetricsRegistry, metrics, prometheusText, type MetricsSource, type NodeCounts, type NodeIdentity } from './metrics/node-metrics';
export { CompletionTracker, type Traceable } from './flow/completion-tracker';
export { KafkaError, KafkaRecordError, toKafkaError, type KafkaErrorReason, type RawRecord } from './kafka/errors';
export { OffsetTracker, PartitionLog, compareOffsets, type RecordHandle, type TopicPartition, type TopicPartitionOffset } from './kafka/offset-tracker';
export { Backpressure } from './kafka/backpressure';
export { decodeBytes, decodeHeaders, encodeValue, encodeKey, encodeHeaders, partitionOf, VALUE_FORMATS, type ValueFormat, type Headers } from './kafka/codec';
export { KafkaSource, type ConsumedRecord, type ConsumerLike, type KafkaSourceOptions, type SourceState, type SourceHandlers } from './kafka/consumer';
export { KafkaSink, type OutRecord, type ProducerLike, type KafkaSinkOptions, type Delivered } from './kafka/producer';
export { KafkaConnection, RELEASE_WAIT_MS, parseBrokers, type KafkaConnectionOptions, type SaslMechanism } from './kafka/client';
export { encodeLine, checkLines, compareUtf8, type EncodeOptions, type FieldValue } from './influx/line-protocol';
export { PointMapper, isExplicitPoint, type PointMapperOptions, type PointInput, type MappedLines, type TimeSource } from './influx/points';
export { msToPrecision, timestampIn, PRECISIONS, type Precision } from './influx/time';
export { judge, serverText, retryAfterMs, type WriteResponse, type Verdict } from './influx/responses';
export { retryDelay, DEFAULT_RETRY, type RetryOptions } from './influx/retry';
export {
  InfluxWriter, LineTicket, MessageTicket, DEFAULT_WRITER, systemClock, targetKey,
  type WriteTarget, type WriteTransport, type Clock, type Ticket, type TicketOutcome, type LineOutcome, type WriterOptions,
  type WriterEvents, type WriterStats, type ParkedLines,
} from './influx/writer';
export { ClientTransport, type ApiVersion, type ConnectionOptions } from './influx/client-transport';
export { ServerProbe, type Reachability } from './influx/probe';
