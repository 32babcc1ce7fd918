/**
 * streamkit-metrics: a Node-RED runtime plugin that serves every StreamKit node's counters (records in, messages
 * out, errors, late records, in-flight, buffered, lag) in the Prometheus text format on the admin API:
 *
 *   GET <httpAdminRoot>/streamkit/metrics
 *
 * behind Node-RED's admin authentication: with `adminAuth` set, a token whose scope includes read permission
 * (`read` or `*`) is needed. The counters come from the engine's runtime-wide registry, which every node's
 * status reporter joins while it runs (src/nodes/shared/status.ts).
 */
import type { NodeAPI } from 'node-red';
import { metrics, prometheusText } from '../engine';

export = function (RED: NodeAPI) {
  RED.httpAdmin.get('/streamkit/metrics', RED.auth.needsPermission('streamkit.read'), (_req, res) => {
    res.set('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.send(prometheusText(metrics.list()));
  });
  RED.plugins.registerPlugin('streamkit-metrics', { type: 'streamkit-metrics' });
};
