import type { NodeAPI } from 'node-red';
import type { WindowNodeConfig } from './shared/config';
import { durationField, registerWindowNode } from './shared/window-node';

export = function (RED: NodeAPI) {
  registerWindowNode(RED, 'streamkit-tumbling-window', (c: WindowNodeConfig) => ({
    type: 'tumbling',
    size: durationField(c.size, c.sizeUnits, 'size'),
    offset: durationField(c.offset ?? 0, c.offsetUnits, 'offset'),
  }));
};
