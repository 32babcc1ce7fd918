/** streamkit-map: sets a property to a JSONata result; flat-map turns an array result into one message per element. */
import type { Node, NodeAPI } from 'node-red';
import { parsePath } from '../engine';
import type { MapNodeConfig } from './shared/config';
import { refuseConfig, translator } from './shared/i18n';
import { onInput, sendEach, type Done, type Send } from './shared/input';
import { evaluate, prepareExpression, type Expression } from './shared/jsonata';
import type { Msg } from './shared/properties';
import { StatusReporter } from './shared/status';

export = function (RED: NodeAPI) {
  function MapNode(this: Node, config: MapNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    const property = config.property || 'payload';
    let expr: Expression;
    try {
      parsePath(property);
      expr = prepareExpression(RED, node, config.expression);
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    let emitted = 0;
    const status = new StatusReporter(node, t, () => [t('status.out', { count: emitted })]);
    status.refresh();

    const output = (msg: Msg, result: unknown, send: Send, done: Done) => {
      status.rate.mark();
      if (config.flatMap && Array.isArray(result)) {
        // One message per element; each is a copy so downstream changes do not leak between them.
        const out = result.map((el, i) => {
          const m = (i === result.length - 1 ? msg : RED.util.cloneMessage(msg)) as Msg;
          RED.util.setMessageProperty(m, property, el, true);
          return m;
        });
        emitted += out.length;
        status.sent(out.length);
        sendEach(send, out);
      } else {
        RED.util.setMessageProperty(msg, property, result, true);
        emitted++;
        status.sent();
        send(msg);
      }
      done();
    };
    const failed = (err: unknown, done: Done) => {
      status.error();
      done(new Error(t('errors.bad-expression', { detail: (err as Error).message ?? String(err) })));
    };

    const drained = onInput(node, (msg, send, done) => {
      // Control messages (end of stream) pass through untouched.
      if (msg.control) { status.sent(); send(msg); done(); return; }
      const r = evaluate(expr, msg);
      if (r instanceof Promise) return r.then((v) => output(msg, v, send, done), (err) => failed(err, done));
      output(msg, r, send, done);
    });
    node.on('close', (done: () => void) => { status.close(); void drained().then(() => done()); });
  }
  RED.nodes.registerType('streamkit-map', MapNode as never);
};
