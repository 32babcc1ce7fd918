/** streamkit-filter: keeps messages that match compiled rules or a JSONata expression; optional reject port. */
import type { Node, NodeAPI } from 'node-red';
import { compileRules, type Operand, type Rule } from '../engine';
import type { FilterNodeConfig, FilterRuleConfig } from './shared/config';
import { refuseConfig, translator } from './shared/i18n';
import { onInput, type Done, type Send } from './shared/input';
import { evaluate, prepareExpression, type Expression } from './shared/jsonata';
import type { Msg } from './shared/properties';
import { StatusReporter } from './shared/status';

export = function (RED: NodeAPI) {
  function FilterNode(this: Node, config: FilterNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    let test: ((msg: Msg) => boolean) | null = null;
    let expr: Expression | null = null;
    try {
      if (config.mode === 'jsonata') expr = prepareExpression(RED, node, config.expression);
      else test = compileRules((config.rules ?? []).map(toRule), config.combine === 'any' ? 'any' : 'all');
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const rejectPort = config.rejectOutput === true;
    let passed = 0;
    let rejected = 0;
    const status = new StatusReporter(node, t, () => [t('status.passed', { passed, rejected })]);
    status.refresh();

    const route = (msg: Msg, keep: boolean, send: Send, done: Done) => {
      status.rate.mark();
      if (keep) { passed++; status.sent(); send(rejectPort ? [msg, null] : msg); }
      else { rejected++; if (rejectPort) { status.sent(); send([null, msg]); } }
      done();
    };
    const failed = (err: unknown, done: Done) => {
      status.error();
      done(new Error(t('errors.bad-expression', { detail: (err as Error).message ?? String(err) })));
    };

    const drained = onInput(node, (msg, send, done) => {
      // Control messages (end of stream) are for the nodes downstream, not data to judge.
      if (msg.control) return route(msg, true, send, done);
      if (test) return route(msg, test(msg), send, done);
      const r = evaluate(expr!, msg);
      if (r instanceof Promise) return r.then((v) => route(msg, v === true, send, done), (err) => failed(err, done));
      route(msg, r === true, send, done);
    });
    node.on('close', (done: () => void) => { status.close(); void drained().then(() => done()); });
  }
  RED.nodes.registerType('streamkit-filter', FilterNode as never);
};

/** Editor rule → engine rule: operands typed as the TypedInput says (num, str, bool, or another msg property). */
function toRule(r: FilterRuleConfig): Rule {
  const operand = (v: string | undefined, type: string | undefined): Operand | undefined => {
    if (v === undefined) return undefined;
    switch (type) {
      case 'msg': return { path: v };
      case 'num': {
        const n = Number(v);
        if (v.trim() === '' || Number.isNaN(n)) throw new Error(`"${v}" is not a number (rule on ${r.property})`);
        return { literal: n };
      }
      case 'bool': return { literal: v === 'true' };
      default: return { literal: v };
    }
  };
  return {
    property: r.property,
    op: r.op,
    value: operand(r.value, r.op === 'regex' || r.op === 'istype' ? 'str' : r.valueType),
    value2: operand(r.value2, r.value2Type),
    ignoreCase: r.ignoreCase === true,
  };
}
