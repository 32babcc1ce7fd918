/**
 * The example flow "PostgreSQL CDC (Debezium) → materialized table → Kafka" (examples/debezium-table-to-kafka.json)
 * on the real pipeline, in a real Node-RED: a customers table of its own in PostgreSQL, a Debezium connector of its
 * own, the example's broker pointed at the test's Kafka and its topics made unique. After inserts, an update and a
 * delete, the output topic holds the current row per customer under its key, and a tombstone for the deleted one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { ROOT, type FlowNode } from '../../helpers/package';
import { requireService } from '../../helpers/services';
import { PIPELINE_VARS, connectorConfig, removeConnector, sql, startConnector, type PipelineEnv } from '../debezium/pipeline';
import { createTopic, readBack, unique } from '../kafka/kafka';

const EXAMPLE = path.join(ROOT, 'examples', 'debezium-table-to-kafka.json');

describe('example: PostgreSQL CDC (Debezium) → materialized table → Kafka, on the real pipeline', function () {
  this.timeout(300000);
  const run = `${Date.now().toString(36)}${process.pid}`;
  const table = `customers_${run}`;
  const prefix = `sk_example_${run}`;
  const connector = `${prefix}-connector`;
  const slot = `${prefix}_slot`;
  let env: PipelineEnv;
  let rt: NodeRedProcess | undefined;
  let connectorStarted = false;

  before(function () {
    env = requireService(this, 'debezium', PIPELINE_VARS) as PipelineEnv;
  });
  after(async () => {
    await rt?.dispose();
    if (connectorStarted) await removeConnector(env, connector, slot);
    if (env) sql(env, `DROP TABLE IF EXISTS ${table}`);
  });

  it('keeps the current row per key in the output topic, and a tombstone for a deleted row', async () => {
    const source = `${prefix}.public.${table}`;
    const output = unique('customers-table');
    sql(env, `CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, city text)`);
    for (const t of [source, output]) await createTopic(env.KAFKA_BROKERS, t);
    await startConnector(env, connector, connectorConfig(env, {
      'topic.prefix': prefix, 'slot.name': slot, 'table.include.list': `public.${table}`, 'snapshot.mode': 'initial',
    }));
    connectorStarted = true;

    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const byType = (t: string) => flow.filter((n) => n.type === t);
    for (const n of byType('streamkit-kafka-broker')) n.brokers = env.KAFKA_BROKERS;
    for (const n of byType('streamkit-kafka-in')) Object.assign(n, { topics: source, groupId: unique('example-cdc') });
    for (const n of byType('streamkit-kafka-out')) n.topic = output;
    rt = await NodeRedProcess.start({ flows: [] });
    await rt.deploy(flow);
    const from = rt.output.length;

    sql(env, `INSERT INTO ${table} VALUES (1, 'Anne', 'Oslo'), (2, 'Bob', 'Lyon')`);
    sql(env, `UPDATE ${table} SET city = 'Bergen' WHERE id = 1`);
    sql(env, `DELETE FROM ${table} WHERE id = 2`);

    // The materialized table sends a change for each create, update and delete (Debezium's own tombstone only
    // clears the table); the example writes the row after each, null (a tombstone) after the delete.
    const records = await readBack(env.KAFKA_BROKERS, output, 4, 120000);
    const table$ = new Map<string, unknown>();
    for (const r of records) table$.set(String(r.key), r.value === null ? null : JSON.parse(String(r.value)));
    assert.deepEqual(Object.fromEntries(table$), {
      [JSON.stringify({ id: 1 })]: { id: 1, name: 'Anne', city: 'Bergen' },
      [JSON.stringify({ id: 2 })]: null,
    }, `the topic read as a table: ${JSON.stringify(records.map((r) => [String(r.key), r.value && String(r.value)]))}`);
    assert.doesNotMatch(rt.output.slice(from), /\[error\]/, 'nothing logged as an error');
  });
});
