/** streamkit-influxdb: the InfluxDB connection (config node) that write nodes share. */
import type { Node, NodeAPI } from 'node-red';
import type { ApiVersion } from '../engine';
import type { InfluxConfigNode, InfluxConfigNodeConfig, InfluxCredentials } from './shared/config';

interface TlsConfigNode extends Node { addTLSOptions(opts: Record<string, unknown>): void }

export = function (RED: NodeAPI) {
  function InfluxConfig(this: InfluxConfigNode, config: InfluxConfigNodeConfig) {
    RED.nodes.createNode(this, config);
    const creds = (this.credentials ?? {}) as InfluxCredentials;
    this.settings = () => {
      const version: ApiVersion = config.version === 'v1' ? 'v1' : 'v2';
      if (config.version !== undefined && config.version !== 'v1' && config.version !== 'v2') {
        throw new Error(`unknown API version "${String(config.version)}"`);
      }
      let url: URL;
      try { url = new URL(String(config.url ?? '').trim()); } catch { throw new Error(`"${String(config.url)}" is not a URL`); }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the URL must be http or https, not ${url.protocol}`);
      const timeout = Number(config.timeout ?? 10);
      if (!(timeout > 0)) throw new Error(`the timeout must be a positive number of seconds, got ${String(config.timeout)}`);
      let tls: Record<string, unknown> | undefined;
      if (config.usetls && config.tls) {
        const tlsNode = RED.nodes.getNode(config.tls) as TlsConfigNode | null;
        if (!tlsNode) throw new Error('the TLS configuration node is missing');
        tls = {};
        tlsNode.addTLSOptions(tls);
      }
      return {
        version,
        connection: {
          url: url.href.replace(/\/$/, ''), version, token: creds.token, username: creds.username, password: creds.password,
          timeoutMs: timeout * 1000, tls,
        },
        org: config.org ?? '', bucket: config.bucket ?? '', database: config.database ?? '', retentionPolicy: config.retentionPolicy ?? '',
      };
    };
  }
  RED.nodes.registerType('streamkit-influxdb', InfluxConfig as never, {
    credentials: { token: { type: 'password' }, username: { type: 'text' }, password: { type: 'password' } },
  } as never);
};
