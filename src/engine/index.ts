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
