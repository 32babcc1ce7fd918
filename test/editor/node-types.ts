/**
 * What the editor specs do with each node type's dialog. The specs take the node types from package.json and
 * the examples from examples/, so a new node type or example is covered as soon as it lands; a new node type
 * also needs its row here (the dialog spec fails without one): fields that make the node invalid, fields that
 * make it valid again, and what the deployed flow then holds.
 */

/** A dialog field (`#node-input-<field>`) and the value to give it; `type` selects a TypedInput's type first. */
export interface Field { field: string; value: string | boolean; type?: string }

export interface DialogCase {
  /** Set in this order; the last one is the field the dialog must mark invalid. */
  invalid: Field[];
  /** Set after reopening the dialog: the node is valid again, saves and deploys. */
  valid: Field[];
  /** Properties the deployed node then has (compared as strings, as the editor may save numbers as text). */
  deployed: Record<string, unknown>;
  /** Services the node connects to: with none running, its status says so (and nothing fails). */
  services?: string[];
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
};

/** The short name of a type for file names: `streamkit-tumbling-window` → `tumbling-window`. */
export function shortName(type: string): string {
  return type.replace(/^streamkit-/, '');
}
