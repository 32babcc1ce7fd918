/**
 * streamkit-kafka-broker: connection settings shared by kafka in / kafka out nodes — one kafkajs client per config
 * node. User name and password live in the credentials store; TLS comes from Node-RED's own tls-config node.
 */
import type { Node, NodeAPI } from 'node-red';
import type { ConnectionOptions } from 'node:tls';
import { KafkaConnection, parseBrokers, type SaslMechanism } from '../engine';
import type { KafkaBrokerConfig, KafkaBrokerNode } from './shared/config';
import { translator } from './shared/i18n';

interface TlsConfigNode extends Node { addTLSOptions(opts: ConnectionOptions): void }

const SASL: readonly string[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export = function (RED: NodeAPI) {
  function KafkaBrokerNode(this: KafkaBrokerNode, config: KafkaBrokerConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    node.connection = null;
    try {
      let ssl: boolean | ConnectionOptions = false;
      if (config.usetls) {
        const tls = config.tls ? RED.nodes.getNode(config.tls) as TlsConfigNode | null : null;
        if (config.tls && !tls) throw new Error(t('errors.no-tls-config'));
        ssl = {};
        if (tls) tls.addTLSOptions(ssl);
      }
      let sasl: { mechanism: SaslMechanism; username: string; password: string } | undefined;
      if (config.sasl && config.sasl !== 'none') {
        if (!SASL.includes(config.sasl)) throw new Error(`unknown SASL mechanism "${config.sasl}"`);
        const { username = '', password = '' } = node.credentials ?? {};
        if (!username) throw new Error(t('errors.no-username'));
        sasl = { mechanism: config.sasl, username, password };
      }
      node.connection = new KafkaConnection({
        brokers: parseBrokers(config.brokers),
        clientId: config.clientId || 'node-red',
        ssl,
        sasl,
        connectionTimeoutMs: positive(config.connectionTimeout, 5000),
        requestTimeoutMs: positive(config.requestTimeout, 30000),
        // kafkajs' own lines are for diagnosis; the nodes report failures themselves.
        log: (level, message) => (level === 'error' || level === 'warn' ? node.debug(message) : node.trace(message)),
      });
    } catch (err) {
      node.problem = (err as Error).message;
      node.error(t('errors.invalid-config', { detail: node.problem }));
    }
  }
  RED.nodes.registerType('streamkit-kafka-broker', KafkaBrokerNode as never, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  } as never);
};

function positive(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
