import type { NodeAPI } from 'node-red';
import type { WindowNodeConfig } from './shared/config';
import { durationField, registerWindowNode } from './shared/window-node';

export = function (RED: NodeAPI) {
  registerWindowNode(RED, 'streamkit-sliding-window', (c: WindowNodeConfig) => ({
    type: 'sliding',
    size: durationField(c.size, c.sizeUnits, 'size'),
    slide: durationField(c.slide, c.slideUnits, 'slide'),
    offset: durationField(c.offset ?? 0, c.offsetUnits, 'offset'),
  }));
};
