/**
 * The one place node specs get the Node-RED test helper from.
 *
 * `npm test` runs the node specs twice: on Node 20 with the Node-RED 4.1 devDependency, then on Node 22
 * with Node-RED 5 from a cache outside the repo. The second pass sets STREAMKIT_NODE_RED to that
 * Node-RED's package directory; without it the project's own `node-red` is used.
 *
 *   import { initHelper } from '../helpers/node-red';
 *   const helper = initHelper();
 *   // helper.load(node, flow, () => …), helper.unload(), helper.startServer(done) …
 */
import helper = require('node-red-node-test-helper');

/** Points the test helper at the Node-RED runtime under test and returns the helper. */
export function initHelper(): typeof helper {
  helper.init(require.resolve(process.env.STREAMKIT_NODE_RED || 'node-red'));
  giveNodesHooks();
  return helper;
}

/**
 * The helper builds the node API (`RED` in a node file) on a mock runtime without `RED.hooks`, which every real
 * runtime gives nodes; nodes that follow messages through the messaging hooks (kafka in) get the runtime's own.
 */
function giveNodesHooks(): void {
  const h = helper as unknown as { _registryUtil?: { createNodeApi(...a: unknown[]): object; hooksGiven?: boolean }; _RED?: { hooks?: unknown } };
  const util = h._registryUtil;
  if (!util || util.hooksGiven || !h._RED?.hooks) return;
  const create = util.createNodeApi;
  util.createNodeApi = (...a: unknown[]) => Object.assign(create.apply(util, a), { hooks: h._RED!.hooks });
  util.hooksGiven = true;
}

/** Version of the Node-RED runtime the specs run against, e.g. `4.1.15` or `5.0.7`. */
export function nodeRedVersion(): string {
  const pkg = require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`);
  return (require(pkg) as { version: string }).version;
}

export { helper };
