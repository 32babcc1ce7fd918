import type { NodeAPI } from 'node-red';
import type { WindowNodeConfig } from './shared/config';
import { durationField, registerWindowNode } from './shared/window-node';

export = function (RED: NodeAPI) {
  registerWindowNode(RED, 'streamkit-session-window', (c: WindowNodeConfig) => ({
    type: 'session',
    gap: durationField(c.gap, c.gapUnits, 'gap'),
  }));
};
