/**
 * A flow for the InfluxDB write node: a connection (config node), the write node, a Catch node and a Complete
 * node (one message per done() of the write node), with recorders. Used by the node specs (fake server) and the
 * integration specs (real InfluxDB).
 */
import { Recorder, helper, nodes, uid, type Conf, type Running } from '../nodes/util';

export interface InfluxFlow { flow: Conf[]; id: string; configId: string; caught: string; completed: string; credentials: Conf }

/** The write node's settings for specs: short flush interval and retry delays. */
export const WRITE_DEFAULTS: Conf = {
  measurement: 'm', bucket: '', org: '', database: '', retentionPolicy: '',
  fieldsProp: 'payload', fieldsPropType: 'msg', keyProp: 'key', keyPropType: 'msg', keyTag: 'key',
  tagProps: '', integerFields: '', timeFrom: 'start', precision: 'ms',
  batchSize: 1000, maxInFlight: 1, flushInterval: 20, flushIntervalUnits: 'ms', maxLines: 100000, overflow: 'block',
  retryMinDelay: 0.05, retryMaxDelay: 0.2, maxRetryTime: 0,
};

/** `over`: write node settings; `conn`: connection settings (v2 org `o`, bucket `b` by default); token `secret-token`. */
export function influxFlow(url: string, over: Conf = {}, conn: Conf = {}, ids: { id?: string; configId?: string } = {}): InfluxFlow {
  const tab = uid('tab');
  const id = ids.id ?? uid('influx');
  const configId = ids.configId ?? uid('conn');
  const at = { z: tab, x: 100, y: 100 };
  const caught = `${id}-caught`;
  const completed = `${id}-completed`;
  const flow: Conf[] = [
    { id: tab, type: 'tab', label: 'test' },
    { id: configId, type: 'streamkit-influxdb', name: '', url, version: 'v2', org: 'o', bucket: 'b', database: 'db',
      retentionPolicy: '', usetls: false, tls: '', timeout: 5, ...conn },
    { id: `${id}-catch`, type: 'catch', ...at, name: '', scope: null, uncaught: false, wires: [[caught]] },
    { id, type: 'streamkit-influxdb-write', ...at, name: '', influxdb: configId, ...WRITE_DEFAULTS, ...over, wires: [] },
    { id: caught, type: 'helper', ...at, name: 'caught', wires: [] },
    { id: `${id}-complete`, type: 'complete', ...at, name: '', scope: [id], uncaught: false, wires: [[completed]] },
    { id: completed, type: 'helper', ...at, name: 'completed', wires: [] },
  ];
  return { flow, id, configId, caught, completed, credentials: { [configId]: { token: 'secret-token' } } };
}

/** Recorders on the flow's Catch and Complete helpers (again after a redeploy). */
export function attachInflux(f: InfluxFlow): Running {
  return {
    node: helper.getNode(f.id), out: [], caught: new Recorder(helper.getNode(f.caught)),
    completed: new Recorder(helper.getNode(f.completed)), tf: f as never,
  };
}

export async function startInflux(f: InfluxFlow): Promise<Running> {
  await helper.load([nodes.influxdb, nodes.influxdbWrite], f.flow as never, f.credentials as never);
  return attachInflux(f);
}
