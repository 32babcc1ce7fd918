/**
 * What the editor specs do with each node type's dialog. The specs take the node types from package.json and
 * the examples from examples/, so a new node type or example is covered as soon as it lands; a new node type
 * also needs its row here (the dialog spec fails without one): fields that make the node invalid, fields that
 * make it valid again, and what the deployed flow then holds.
 */
import assert from 'node:assert/strict';

/**
 * A dialog field (`#node-input-<field>`) and the value to give it; `type` selects a TypedInput's type first.
 * `config` instead adds a new configuration node for the field with these fields set in its own dialog.
 */
export interface Field { field: string; value?: string | boolean; type?: string; config?: PlainField[] }

export type PlainField = Omit<Field, 'config'> & { value: string | boolean };

/** An InfluxDB 2.x configuration at an address where no server listens. */
const NO_INFLUXDB: Field = {
  field: 'influxdb',
  config: [{ field: 'url', value: 'http://127.0.0.1:1' }, { field: 'org', value: 'streamkit' }, { field: 'bucket', value: 'sensors' }],
};

/** A Kafka broker configuration at an address where no broker listens (connections are refused at once). */
const NO_BROKER: Field = { field: 'broker', config: [{ field: 'brokers', value: '127.0.0.1:1' }, { field: 'clientId', value: 'streamkit-editor-spec' }] };

export interface DialogCase {
  /** Set in this order; the last one is the field the dialog must mark invalid. */
  invalid: Field[];
  /** Set after reopening the dialog: the node is valid again, saves and deploys. */
  valid: Field[];
  /** Properties the deployed node then has (compared as strings, as the editor may save numbers as text). */
  deployed: Record<string, unknown>;
  /**
   * The node connects to a service, and none runs for these specs: its status says it is not connected (a ring,
   * not a dot), and nothing is logged as an error.
   */
  offline?: boolean;
}

export const DIALOGS: Record<string, DialogCase> = {
  'streamkit-filter': {
    invalid: [{ field: 'mode', value: 'jsonata' }, { field: 'expression', value: 'payload.temperature >' }],
    valid: [{ field: 'expression', value: 'payload.temperature > 20' }],
    deployed: { mode: 'jsonata', expression: 'payload.temperature > 20' },
  },
  'streamkit-map': {
    invalid: [{ field: 'expression', value: 'payload * (1.8' }],
    valid: [{ field: 'expression', value: 'payload * 1.8 + 32' }, { field: 'property', value: 'fahrenheit' }],
    deployed: { expression: 'payload * 1.8 + 32', property: 'fahrenheit' },
  },
  'streamkit-tumbling-window': {
    invalid: [{ field: 'size', value: '-5' }],
    valid: [{ field: 'size', value: '10' }, { field: 'sizeUnits', value: 'min' }],
    deployed: { size: 10, sizeUnits: 'min' },
  },
  'streamkit-sliding-window': {
    invalid: [{ field: 'slide', value: '0' }],
    valid: [{ field: 'size', value: '60' }, { field: 'slide', value: '10' }],
    deployed: { size: 60, slide: 10 },
  },
  'streamkit-session-window': {
    invalid: [{ field: 'gap', value: 'soon' }],
    valid: [{ field: 'gap', value: '30' }, { field: 'gapUnits', value: 's' }],
    deployed: { gap: 30, gapUnits: 's' },
  },
  'streamkit-aggregate': {
    invalid: [{ field: 'emit', value: 'interval' }, { field: 'interval', value: '0' }],
    valid: [{ field: 'interval', value: '2' }, { field: 'keyProp', value: 'payload.sensor', type: 'jsonata' }],
    deployed: { emit: 'interval', interval: 2, keyProp: 'payload.sensor', keyPropType: 'jsonata' },
  },
  'streamkit-kafka-in': {
    invalid: [{ field: 'topics', value: 'sensor readings!' }],
    valid: [{ field: 'topics', value: 'sensors' }, NO_BROKER],
    deployed: { topics: 'sensors' },
    offline: true,
  },
  'streamkit-debezium': {
    invalid: [{ field: 'columnTypes', value: '{"amount": ' }],
    valid: [{ field: 'columnTypes', value: '{"amount": "Decimal(2)"}' }, { field: 'materialize', value: true }],
    deployed: { columnTypes: '{"amount": "Decimal(2)"}', materialize: true },
  },
  'streamkit-influxdb-write': {
    invalid: [{ field: 'batchSize', value: '0' }],
    valid: [{ field: 'batchSize', value: '500' }, { field: 'measurement', value: 'sensor_5s' }, NO_INFLUXDB],
    deployed: { batchSize: 500, measurement: 'sensor_5s' },
    offline: true,
  },
  'streamkit-kafka-out': {
    invalid: [{ field: 'linger', value: '-1' }],
    valid: [{ field: 'linger', value: '20' }, { field: 'topic', value: 'averages' }, NO_BROKER],
    deployed: { linger: 20, topic: 'averages' },
    offline: true,
  },
};

/**
 * What a started node's status must be with no service running: not connected (a ring) for a node that says
 * so, not red for every other one.
 */
export function assertStatus(type: string, status: { fill?: string; shape?: string; text?: string } | undefined): void {
  assert.ok(status?.text, `${type} shows a status`);
  if (DIALOGS[type]?.offline) assert.equal(status.shape, 'ring', `${type} is not connected: status ${JSON.stringify(status)}`);
  else assert.notEqual(status.fill, 'red', `${type}: status ${JSON.stringify(status)}`);
}

/** The short name of a type for file names: `streamkit-tumbling-window` → `tumbling-window`. */
export function shortName(type: string): string {
  return type.replace(/^streamkit-/, '');
}
