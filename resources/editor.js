/**
 * StreamKit: editor code shared by the node editors in nodes/*.html.
 *
 * Loaded by every node's html file with
 *   <script src="resources/node-red-contrib-streamkit/editor.js"></script>
 * so the editor may load it several times: the guard below keeps the first definition.
 *
 * What lives here:
 *  - constants (palette colour, time units, aggregate names, property types);
 *  - validators for the `defaults` of every node (durations, choices, TypedInput properties, JSONata,
 *    the aggregate list, filter rules): each returns `true`, or when Node-RED asks for a reason (it passes
 *    `opt`), a translated message, otherwise `false` (the 2.x contract);
 *  - the `defaults` shared by the window nodes and the aggregate node;
 *  - template snippets: a node's `<script type="text/html">` template may contain
 *      <div data-sk-include="record"></div>          value and key TypedInputs
 *      <div data-sk-include="event-time"></div>      time mode, timestamp, watermark, lateness, late output
 *      <div data-sk-include="window-emit"></div>     emit mode, retractions, drain on removal
 *      <div data-sk-include="aggregates"></div>      aggregate checklist
 *      <div data-sk-duration="size" data-sk-icon="fa-arrows-h"></div>   number + unit select for `size`/`sizeUnits`
 *      <div data-sk-typed="keyProp" data-sk-icon="fa-key"></div>       TypedInput `keyProp` with its type in `keyPropType`
 *      <div data-sk-number="batchSize" data-sk-icon="fa-cubes" data-sk-unit="label.lines"></div>   a number, a unit after it
 *      <div data-sk-select="acks" data-sk-icon="fa-check" data-sk-options="all,leader,none"></div>    option texts `acks.<option>`
 *          (`data-sk-texts="format"`: texts `format.<option>`)
 *      <div data-sk-checkbox="batch" data-sk-icon="fa-th-list"></div>  a checkbox labelled `label.batch`
 *      <div data-sk-text="topic" data-sk-icon="fa-tasks" data-sk-placeholder="placeholder.topic"></div>   a text field
 *    `expandTemplate(type)` replaces them once, when the node type is registered, so the fields exist before
 *    Node-RED fills them in and validates them. Snippet texts are catalog keys in the node's own namespace,
 *    so every catalog that uses a snippet defines its keys;
 *  - `oneditprepare` / `oneditsave` helpers and label helpers.
 *
 * Texts are translated with the node's own `_()` (its catalog in locales/<lang>/<name>.json).
 */
(function () {
    'use strict';
    if (window.StreamKitEditor) {
        return;
    }

    var RESOURCES = 'resources/node-red-contrib-streamkit/';

    /** One colour for the whole palette category. */
    var COLOR = '#6CB4C4';

    var UNITS = ['ms', 's', 'min', 'h', 'd'];
    var UNIT_MS = { ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };
    var TIMESTAMP_UNITS = ['s', 'ms', 'us', 'ns'];
    var PROPERTY_TYPES = ['msg', 'jsonata'];
    var AGGREGATES = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last',
        'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct'];
    var DEFAULT_AGGREGATES = ['count', 'sum', 'min', 'max', 'avg'];

    // ---------------------------------------------------------------- helpers

    /** Translate `key` in the node's namespace; falls back to the key itself outside a node. */
    function tr(node, key, params) {
        if (node && typeof node._ === 'function') {
            return node._(key, params);
        }
        return key;
    }

    /** A validator's failure: a reason when Node-RED asked for one (`opt` given), else `false`. */
    function fail(node, opt, key, params) {
        return opt ? tr(node, 'validation.' + key, params) : false;
    }

    /**
     * The current value of a field of `node`: the edit dialog's input while the dialog for `node` is open,
     * otherwise the saved property. Cross-field validators (offset against size) use it.
     */
    function fieldValue(node, name) {
        var input = $('#node-input-' + name);
        if (input.length && isEditing(node)) {
            return input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
        }
        return node ? node[name] : undefined;
    }

    function isEditing(node) {
        var form = $('#dialog-form');
        return form.length > 0 && !!node && form.attr('data-sk-node') === node.id;
    }

    function isBlank(v) {
        return v === undefined || v === null || String(v).trim() === '';
    }

    /** A finite number, from a number or a numeric string; NaN otherwise. */
    function toNumber(v) {
        if (typeof v === 'number') {
            return v;
        }
        if (isBlank(v)) {
            return NaN;
        }
        var s = String(v).trim();
        return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
    }

    function isEnvReference(v) {
        return typeof v === 'string' && /^\$\{[a-zA-Z_][a-zA-Z0-9_]*\}$/.test(v.trim());
    }

    /** Duration in ms of `value` in `unit`; NaN when either is not valid. */
    function toMs(value, unit) {
        var n = toNumber(value);
        return UNIT_MS.hasOwnProperty(unit) ? n * UNIT_MS[unit] : NaN;
    }

    /** Short text of a duration for labels, e.g. `5s`, `30min`, `500ms` (units from the catalog). */
    function formatDuration(node, value, unit) {
        var n = toNumber(value);
        if (isNaN(n) || !UNIT_MS.hasOwnProperty(unit)) {
            return '?';
        }
        return tr(node, 'unitsShort.' + unit, { n: String(n) });
    }

    /** Short text of a TypedInput property for labels: `msg.key`, or the expression clipped. */
    function formatProperty(value, type) {
        var v = String(value === undefined || value === null ? '' : value);
        if (type === 'jsonata') {
            v = v.replace(/\s+/g, ' ').trim();
            return v.length > 20 ? v.substring(0, 19) + '…' : v;
        }
        return 'msg.' + v;
    }

    // ---------------------------------------------------------------- validators

    /** A value among `choices`. */
    function oneOf(choices, labelKey) {
        return function (v, opt) {
            if (choices.indexOf(v) !== -1) {
                return true;
            }
            return fail(this, opt, 'choice', { field: tr(this, labelKey), value: String(v) });
        };
    }

    /** A unit among ms, s, min, h, d. */
    function unitValidator(labelKey) {
        return oneOf(UNITS, labelKey);
    }

    /**
     * A duration amount: `min` 'positive' (> 0) or 'nonNegative' (>= 0). `${ENV}` references are accepted,
     * as by Node-RED's own validators.
     */
    function duration(min, labelKey) {
        return function (v, opt) {
            if (isEnvReference(v)) {
                return true;
            }
            var n = toNumber(v);
            var field = tr(this, labelKey);
            if (!isFinite(n)) {
                return fail(this, opt, 'number', { field: field });
            }
            if (min === 'positive' && !(n > 0)) {
                return fail(this, opt, 'positive', { field: field });
            }
            if (min === 'nonNegative' && n < 0) {
                return fail(this, opt, 'nonNegative', { field: field });
            }
            return true;
        };
    }

    /** Tumbling offset: any number with |offset| < size (both converted to ms). */
    function tumblingOffset(labelKey) {
        return function (v, opt) {
            if (isEnvReference(v)) {
                return true;
            }
            var field = tr(this, labelKey);
            var n = toNumber(v);
            if (!isFinite(n)) {
                return fail(this, opt, 'number', { field: field });
            }
            var offset = toMs(n, fieldValue(this, 'offsetUnits'));
            var size = toMs(fieldValue(this, 'size'), fieldValue(this, 'sizeUnits'));
            if (isFinite(offset) && isFinite(size) && size > 0 && Math.abs(offset) >= size) {
                return fail(this, opt, 'offsetRange', {});
            }
            return true;
        };
    }

    /** Any finite number (sliding offset, normalised by the engine modulo the slide). */
    function finiteNumber(labelKey) {
        return function (v, opt) {
            if (isEnvReference(v) || isFinite(toNumber(v))) {
                return true;
            }
            return fail(this, opt, 'number', { field: tr(this, labelKey) });
        };
    }

    /** A JSONata expression that compiles. Compiled with the editor's own `jsonata`, as the core nodes do. */
    function checkJsonata(expr) {
        if (isBlank(expr)) {
            return 'empty';
        }
        if (typeof jsonata !== 'function') {
            return true;
        }
        try {
            jsonata(expr);
            return true;
        } catch (err) {
            return err && err.message ? err.message : String(err);
        }
    }

    /** A TypedInput property (`msg` path or `jsonata`) whose type is in the field `typeField`. */
    function typedProperty(typeField, labelKey) {
        return function (v, opt) {
            var field = tr(this, labelKey);
            var type = fieldValue(this, typeField) || 'msg';
            if (isBlank(v)) {
                return fail(this, opt, 'property', { field: field });
            }
            if (PROPERTY_TYPES.indexOf(type) === -1) {
                return fail(this, opt, 'choice', { field: field, value: type });
            }
            if (type === 'jsonata') {
                var r = checkJsonata(v);
                return r === true ? true : fail(this, opt, 'expression', { field: field, detail: r });
            }
            return checkMsgPath(v) ? true : fail(this, opt, 'path', { field: field });
        };
    }

    /** A msg property path such as `payload.temperature` (`msg.` prefix tolerated). */
    function checkMsgPath(path) {
        if (isBlank(path)) {
            return false;
        }
        var p = String(path).replace(/^msg\./, '');
        if (RED.utils && typeof RED.utils.validatePropertyExpression === 'function') {
            return RED.utils.validatePropertyExpression(p) === true;
        }
        return /^[A-Za-z_$][\w$]*/.test(p);
    }

    /** A plain msg property path field, e.g. the map node's target property. */
    function msgPath(labelKey) {
        return function (v, opt) {
            var field = tr(this, labelKey);
            if (isBlank(v)) {
                return fail(this, opt, 'property', { field: field });
            }
            return checkMsgPath(v) ? true : fail(this, opt, 'path', { field: field });
        };
    }

    /**
     * A JSONata expression field. `when(node)` tells whether the field is in use (the filter's expression is
     * only checked in JSONata mode).
     */
    function jsonataExpression(labelKey, when) {
        return function (v, opt) {
            if (when && !when(this)) {
                return true;
            }
            var r = checkJsonata(v);
            if (r === true) {
                return true;
            }
            if (r === 'empty') {
                return fail(this, opt, 'expressionEmpty', { field: tr(this, labelKey) });
            }
            return fail(this, opt, 'expression', { field: tr(this, labelKey), detail: r });
        };
    }

    /** At least one aggregate, every one known. */
    function aggregatesValidator(v, opt) {
        if (!Array.isArray(v) || v.length === 0) {
            return fail(this, opt, 'aggregates', {});
        }
        for (var i = 0; i < v.length; i++) {
            if (AGGREGATES.indexOf(v[i]) === -1) {
                return fail(this, opt, 'unknownAggregate', { name: String(v[i]) });
            }
        }
        return true;
    }

    /** A whole number ≥ `min` (`${ENV}` references accepted). */
    function wholeNumber(min, labelKey) {
        return function (v, opt) {
            if (isEnvReference(v)) {
                return true;
            }
            var n = toNumber(v);
            return (isFinite(n) && Math.floor(n) === n && n >= min) ? true
                : fail(this, opt, 'wholeNumber', { field: tr(this, labelKey), min: String(min) });
        };
    }

    /** Kafka bootstrap brokers: `host:port` entries separated by commas. */
    function kafkaBrokers(labelKey) {
        return function (v, opt) {
            if (isEnvReference(v)) {
                return true;
            }
            var list = String(v === undefined || v === null ? '' : v).split(/[\s,]+/).filter(function (b) { return b; });
            var ok = list.length > 0 && list.every(function (b) {
                var m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(b);
                return m && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
            });
            return ok ? true : fail(this, opt, 'brokers', { field: tr(this, labelKey) });
        };
    }

    function booleanValidator(v) {
        return v === true || v === false || v === 'true' || v === 'false';
    }

    // ---------------------------------------------------------------- filter rules

    var FILTER_OPERATORS = [
        { v: 'eq', t: '==', operands: 1 },
        { v: 'neq', t: '!=', operands: 1 },
        { v: 'lt', t: '<', operands: 1 },
        { v: 'lte', t: '<=', operands: 1 },
        { v: 'gt', t: '>', operands: 1 },
        { v: 'gte', t: '>=', operands: 1 },
        { v: 'btwn', t: 'operators.btwn', operands: 2 },
        { v: 'cont', t: 'operators.cont', operands: 1 },
        { v: 'regex', t: 'operators.regex', operands: 1 },
        { v: 'true', t: 'operators.true', operands: 0 },
        { v: 'false', t: 'operators.false', operands: 0 },
        { v: 'null', t: 'operators.null', operands: 0 },
        { v: 'nnull', t: 'operators.nnull', operands: 0 },
        { v: 'istype', t: 'operators.istype', operands: 1 }
    ];
    var FILTER_TYPES = ['string', 'number', 'boolean', 'object', 'array', 'null', 'undefined'];
    var RULE_VALUE_TYPES = ['num', 'str', 'bool', 'msg'];
    var RULE_VALUE2_TYPES = ['num', 'str', 'msg'];

    function findOperator(op) {
        for (var i = 0; i < FILTER_OPERATORS.length; i++) {
            if (FILTER_OPERATORS[i].v === op) {
                return FILTER_OPERATORS[i];
            }
        }
        return null;
    }

    /** Problem with one operand, or null. */
    function checkOperand(node, value, type, allowed) {
        if (allowed.indexOf(type) === -1) {
            return tr(node, 'validation.ruleValueType', { type: String(type) });
        }
        if (isEnvReference(value)) {
            return null;
        }
        if (type === 'num' && !isFinite(toNumber(value))) {
            return tr(node, 'validation.ruleNumber', {});
        }
        if (type === 'bool' && value !== 'true' && value !== 'false' && value !== true && value !== false) {
            return tr(node, 'validation.ruleBoolean', {});
        }
        if (type === 'msg' && !checkMsgPath(value)) {
            return tr(node, 'validation.rulePath', {});
        }
        return null;
    }

    /** Problem with one rule, or null. */
    function checkRule(node, r) {
        if (!r || typeof r !== 'object') {
            return tr(node, 'validation.ruleOperator', { op: '' });
        }
        if (!checkMsgPath(r.property)) {
            return tr(node, 'validation.rulePropertyPath', {});
        }
        var op = findOperator(r.op);
        if (!op) {
            return tr(node, 'validation.ruleOperator', { op: String(r.op) });
        }
        if (r.op === 'istype') {
            return FILTER_TYPES.indexOf(r.value) === -1 ? tr(node, 'validation.ruleType', { type: String(r.value) }) : null;
        }
        if (r.op === 'regex') {
            if (isBlank(r.value)) {
                return tr(node, 'validation.regexEmpty', {});
            }
            try {
                new RegExp(r.value, r.ignoreCase ? 'i' : '');
            } catch (err) {
                return tr(node, 'validation.regex', { detail: err.message });
            }
            return null;
        }
        if (op.operands >= 1) {
            var p = checkOperand(node, r.value, r.valueType || 'str', r.op === 'cont' ? ['str', 'msg'] : RULE_VALUE_TYPES);
            if (p) {
                return p;
            }
        }
        if (op.operands === 2) {
            return checkOperand(node, r.value2, r.value2Type || 'num', RULE_VALUE2_TYPES);
        }
        return null;
    }

    /** The filter's rule list: at least one rule, each valid; only checked in `rules` mode. */
    function filterRules(v, opt) {
        if (fieldValue(this, 'mode') === 'jsonata') {
            return true;
        }
        if (!Array.isArray(v) || v.length === 0) {
            return fail(this, opt, 'noRules', {});
        }
        var errors = [];
        for (var i = 0; i < v.length; i++) {
            var p = checkRule(this, v[i]);
            if (p) {
                errors.push(tr(this, 'validation.rule', { index: i + 1, detail: p }));
            }
        }
        if (errors.length === 0) {
            return true;
        }
        return opt ? errors : false;
    }

    // ---------------------------------------------------------------- defaults

    /** Value, key and aggregates: the window nodes and the aggregate node. */
    function recordDefaults() {
        return {
            valueProp: { value: 'payload', validate: typedProperty('valuePropType', 'label.valueProp') },
            valuePropType: { value: 'msg', validate: oneOf(PROPERTY_TYPES, 'label.valueProp') },
            keyProp: { value: 'key', validate: typedProperty('keyPropType', 'label.keyProp') },
            keyPropType: { value: 'msg', validate: oneOf(PROPERTY_TYPES, 'label.keyProp') },
            aggregates: { value: DEFAULT_AGGREGATES.slice(), validate: aggregatesValidator }
        };
    }

    /** Everything the three window nodes share; each adds its window parameters. */
    function windowDefaults() {
        return $.extend(recordDefaults(), {
            timeMode: { value: 'event', validate: oneOf(['event', 'processing'], 'label.timeMode') },
            timeProp: { value: 'timestamp', validate: typedProperty('timePropType', 'label.timeProp') },
            timePropType: { value: 'msg', validate: oneOf(PROPERTY_TYPES, 'label.timeProp') },
            timestampUnit: { value: 'ms', validate: oneOf(TIMESTAMP_UNITS, 'label.timestampUnit') },
            onMissingTimestamp: { value: 'error', validate: oneOf(['error', 'processingTime'], 'label.onMissingTimestamp') },
            maxOutOfOrderness: { value: 0, validate: duration('nonNegative', 'label.maxOutOfOrderness') },
            maxOutOfOrdernessUnits: { value: 's', validate: unitValidator('label.maxOutOfOrderness') },
            idleTimeout: { value: 0, validate: duration('nonNegative', 'label.idleTimeout') },
            idleTimeoutUnits: { value: 's', validate: unitValidator('label.idleTimeout') },
            allowedLateness: { value: 0, validate: duration('nonNegative', 'label.allowedLateness') },
            allowedLatenessUnits: { value: 's', validate: unitValidator('label.allowedLateness') },
            lateOutput: { value: 'port', validate: oneOf(['port', 'drop'], 'label.lateOutput') },
            emit: { value: 'close', validate: oneOf(['close', 'update'], 'label.emit') },
            retractions: { value: false, validate: booleanValidator },
            drainOnRemove: { value: true, validate: booleanValidator },
            // Not read by the runtime: how many ports the editor draws (2 with the late port).
            outputs: { value: 2 }
        });
    }

    /** Number of outputs of a window node: the late port exists only in event time with lateOutput `port`. */
    function windowOutputs(timeMode, lateOutput) {
        return (timeMode !== 'processing' && lateOutput === 'port') ? 2 : 1;
    }

    // ---------------------------------------------------------------- template snippets

    function checkboxRow(name, icon) {
        return '<div class="form-row streamkit-checkbox-row">' +
            '<label>&nbsp;</label>' +
            '<input type="checkbox" id="node-input-' + name + '">' +
            '<label for="node-input-' + name + '" class="streamkit-checkbox-label">' +
            (icon ? '<i class="fa ' + icon + '"></i> ' : '') +
            '<span data-i18n="label.' + name + '"></span></label>' +
            '</div>';
    }

    /** A select of `options`, their texts `<texts>.<option>` in the catalog (`texts` defaults to `name`). */
    function selectRow(name, icon, options, texts) {
        return '<div class="form-row">' +
            '<label for="node-input-' + name + '"><i class="fa ' + icon + '"></i> <span data-i18n="label.' + name + '"></span></label>' +
            '<select id="node-input-' + name + '" class="streamkit-select">' +
            options.map(function (o) {
                return '<option value="' + o + '" data-i18n="' + (texts || name) + '.' + o + '"></option>';
            }).join('') +
            '</select></div>';
    }

    /** A text field; `placeholderKey`: the catalog key of its placeholder. */
    function textRow(name, icon, placeholderKey) {
        return '<div class="form-row">' +
            '<label for="node-input-' + name + '"><i class="fa ' + icon + '"></i> <span data-i18n="label.' + name + '"></span></label>' +
            '<input type="text" id="node-input-' + name + '" class="streamkit-typed"' +
            (placeholderKey ? ' data-i18n="[placeholder]' + placeholderKey + '"' : '') + '>' +
            '</div>';
    }

    /** A number field; `unitKey`: the catalog key of the unit shown after it. */
    function numberRow(name, icon, unitKey) {
        return '<div class="form-row">' +
            '<label for="node-input-' + name + '"><i class="fa ' + icon + '"></i> <span data-i18n="label.' + name + '"></span></label>' +
            '<input type="text" id="node-input-' + name + '" class="streamkit-duration-value" inputmode="numeric">' +
            (unitKey ? ' <span data-i18n="' + unitKey + '"></span>' : '') +
            '</div>';
    }

    function typedRow(name, icon) {
        return '<div class="form-row">' +
            '<label for="node-input-' + name + '"><i class="fa ' + icon + '"></i> <span data-i18n="label.' + name + '"></span></label>' +
            '<input type="text" id="node-input-' + name + '" class="streamkit-typed">' +
            '<input type="hidden" id="node-input-' + name + 'Type">' +
            '</div>';
    }

    /** A number and a unit select: fields `<name>` and `<name>Units`. */
    function durationRow(name, icon) {
        return '<div class="form-row streamkit-duration-row">' +
            '<label for="node-input-' + name + '"><i class="fa ' + (icon || 'fa-clock-o') + '"></i> <span data-i18n="label.' + name + '"></span></label>' +
            '<input type="text" id="node-input-' + name + '" class="streamkit-duration-value" inputmode="decimal">' +
            '<select id="node-input-' + name + 'Units" class="streamkit-duration-units">' +
            UNITS.map(function (u) { return '<option value="' + u + '" data-i18n="units.' + u + '"></option>'; }).join('') +
            '</select></div>';
    }

    function headingRow(key) {
        return '<div class="form-row streamkit-heading"><span data-i18n="section.' + key + '"></span></div>';
    }

    function tipRow(key, cls) {
        return '<div class="form-tips streamkit-tip' + (cls ? ' ' + cls : '') + '" data-i18n="[html]tip.' + key + '"></div>';
    }

    var SNIPPETS = {
        record: function () {
            return headingRow('records') +
                typedRow('valueProp', 'fa-hashtag') +
                typedRow('keyProp', 'fa-key') +
                tipRow('key');
        },
        'event-time': function () {
            return headingRow('time') +
                selectRow('timeMode', 'fa-clock-o', ['event', 'processing']) +
                '<div class="streamkit-event-time">' +
                typedRow('timeProp', 'fa-calendar') +
                selectRow('timestampUnit', 'fa-sort-numeric-asc', TIMESTAMP_UNITS) +
                selectRow('onMissingTimestamp', 'fa-question-circle', ['error', 'processingTime']) +
                headingRow('watermark') +
                durationRow('maxOutOfOrderness', 'fa-random') +
                durationRow('allowedLateness', 'fa-hourglass-half') +
                durationRow('idleTimeout', 'fa-pause-circle-o') +
                selectRow('lateOutput', 'fa-sign-out', ['port', 'drop']) +
                tipRow('watermark') +
                '</div>' +
                '<div class="streamkit-processing-time">' + tipRow('processingTime') + '</div>';
        },
        'window-emit': function () {
            return headingRow('output') +
                selectRow('emit', 'fa-bullhorn', ['close', 'update']) +
                checkboxRow('retractions', 'fa-undo') +
                checkboxRow('drainOnRemove', 'fa-sign-out');
        },
        aggregates: function () {
            return headingRow('aggregates') +
                '<div class="form-row streamkit-aggregates-row">' +
                '<label><i class="fa fa-calculator"></i> <span data-i18n="label.aggregates"></span></label>' +
                '<div class="streamkit-aggregates">' +
                AGGREGATES.map(function (a) {
                    return '<label class="streamkit-aggregate" data-i18n="[title]aggregates.' + a + '">' +
                        '<input type="checkbox" value="' + a + '"> <code>' + a + '</code></label>';
                }).join('') +
                '</div></div>' +
                '<div class="form-row streamkit-aggregates-warning" style="display:none">' +
                '<label>&nbsp;</label><span class="streamkit-warning" data-i18n="validation.aggregates"></span></div>';
        }
    };

    /**
     * Expand the snippet and row placeholders of `type`'s template, once. Called right after the
     * node type is registered, long before its dialog is opened.
     */
    function expandTemplate(type) {
        var script = $('script[data-template-name="' + type + '"]');
        if (!script.length || script.attr('data-sk-expanded')) {
            return;
        }
        var holder = $('<div>').html(script.html());
        holder.find('[data-sk-include]').each(function () {
            var name = $(this).attr('data-sk-include');
            if (SNIPPETS.hasOwnProperty(name)) {
                $(this).replaceWith(SNIPPETS[name]());
            }
        });
        holder.find('[data-sk-duration]').each(function () {
            $(this).replaceWith(durationRow($(this).attr('data-sk-duration'), $(this).attr('data-sk-icon')));
        });
        holder.find('[data-sk-typed]').each(function () {
            $(this).replaceWith(typedRow($(this).attr('data-sk-typed'), $(this).attr('data-sk-icon')));
        });
        holder.find('[data-sk-text]').each(function () {
            $(this).replaceWith(textRow($(this).attr('data-sk-text'), $(this).attr('data-sk-icon'), $(this).attr('data-sk-placeholder')));
        });
        holder.find('[data-sk-number]').each(function () {
            $(this).replaceWith(numberRow($(this).attr('data-sk-number'), $(this).attr('data-sk-icon'), $(this).attr('data-sk-unit')));
        });
        holder.find('[data-sk-select]').each(function () {
            $(this).replaceWith(selectRow($(this).attr('data-sk-select'), $(this).attr('data-sk-icon'),
                $(this).attr('data-sk-options').split(','), $(this).attr('data-sk-texts')));
        });
        holder.find('[data-sk-checkbox]').each(function () {
            $(this).replaceWith(checkboxRow($(this).attr('data-sk-checkbox'), $(this).attr('data-sk-icon')));
        });
        script.html(holder.html());
        script.attr('data-sk-expanded', 'true');
    }

    // ---------------------------------------------------------------- dialog helpers

    function loadCss() {
        if (document.getElementById('streamkit-editor-css')) {
            return;
        }
        var root = (RED.settings && RED.settings.apiRootUrl) || '';
        $('<link>', { id: 'streamkit-editor-css', rel: 'stylesheet', type: 'text/css', href: root + RESOURCES + 'editor.css' })
            .appendTo('head');
    }

    /** TypedInput (msg | jsonata) on `#node-input-<name>` with its type in `#node-input-<name>Type`. */
    function propertyInput(name, node) {
        var input = $('#node-input-' + name);
        if (!input.length) {
            return;
        }
        var typeField = $('#node-input-' + name + 'Type');
        if (!typeField.val()) {
            typeField.val(node[name + 'Type'] || 'msg');
        }
        input.typedInput({ default: 'msg', types: PROPERTY_TYPES.slice(), typeField: typeField });
    }

    /** Re-validate `targets` when any of `sources` changes (cross-field validation). */
    function revalidateOnChange(sources, targets) {
        sources.forEach(function (s) {
            $('#node-input-' + s).on('change', function () {
                targets.forEach(function (t) {
                    $('#node-input-' + t).trigger('change');
                });
            });
        });
    }

    /** Fill in the aggregate checklist from `node.aggregates` and warn live when none is checked. */
    function prepareAggregates(node) {
        var list = Array.isArray(node.aggregates) ? node.aggregates : DEFAULT_AGGREGATES;
        var boxes = $('.streamkit-aggregates input[type="checkbox"]');
        boxes.each(function () {
            $(this).prop('checked', list.indexOf($(this).val()) !== -1);
        });
        var warn = function () {
            var none = $('.streamkit-aggregates input:checked').length === 0;
            $('.streamkit-aggregates-warning').toggle(none);
            $('.streamkit-aggregates').toggleClass('input-error', none);
        };
        boxes.on('change', warn);
        warn();
    }

    /** The checked aggregates, in the canonical order. */
    function checkedAggregates() {
        var out = [];
        $('.streamkit-aggregates input:checked').each(function () {
            out.push($(this).val());
        });
        return AGGREGATES.filter(function (a) { return out.indexOf(a) !== -1; });
    }

    /**
     * First call of every StreamKit oneditprepare: loads the CSS and marks the form as this node's, so that
     * cross-field validators read the dialog's inputs only for the node being edited.
     */
    function beginDialog(node) {
        loadCss();
        $('#dialog-form').attr('data-sk-node', node.id);
    }

    /** Common oneditprepare of the window nodes and the aggregate node. */
    function prepareDialog(node) {
        beginDialog(node);
        ['valueProp', 'keyProp', 'timeProp'].forEach(function (name) {
            propertyInput(name, node);
        });
        if ($('.streamkit-aggregates').length) {
            prepareAggregates(node);
        }
        var timeMode = $('#node-input-timeMode');
        if (timeMode.length) {
            var toggle = function () {
                var event = timeMode.val() !== 'processing';
                $('.streamkit-event-time').toggle(event);
                $('.streamkit-processing-time').toggle(!event);
            };
            timeMode.on('change', toggle);
            toggle();
        }
    }

    /** Common oneditsave of the window nodes: aggregates and the number of outputs. */
    function saveWindowDialog(node) {
        node.aggregates = checkedAggregates();
        node.outputs = windowOutputs($('#node-input-timeMode').val(), $('#node-input-lateOutput').val());
    }

    // ---------------------------------------------------------------- labels

    /** The key part of a node label: `msg.key`, or the clipped expression. */
    function keyLabel(node) {
        return formatProperty(node.keyProp, node.keyPropType);
    }

    /** Output labels of a window node: results, and late records when the late port exists. */
    function windowOutputLabels(node, index) {
        return index === 0 ? tr(node, 'outputs.results') : tr(node, 'outputs.late');
    }

    // ---------------------------------------------------------------- window node definition

    /**
     * What the three window nodes share in their `RED.nodes.registerType(type, {…})` definition. Each node's html
     * writes its definition as an object literal (category, colour, ports and icon inline, as Node-RED's tools
     * and the flow library read them) and takes the rest from here. `spec` holds what differs:
     *   labelParams     function (node) → parameters of the catalog's `nodeLabel.window` text
     *   oneditprepare   optional, run after the shared preparation
     * `defaults(own)` adds the shared defaults to the node's own window parameters (size, slide, offset, gap).
     */
    function windowEditor(type, spec) {
        expandTemplate(type);
        return {
            defaults: function (own) {
                return $.extend({ name: { value: '' } }, own, windowDefaults());
            },
            paletteLabel: function () { return this._('paletteLabel'); },
            inputLabels: function () { return this._('inputs.records'); },
            outputLabels: function (index) { return windowOutputLabels(this, index); },
            label: function () {
                return this.name || this._('nodeLabel.window', $.extend({ key: keyLabel(this) }, spec.labelParams(this)));
            },
            labelStyle: function () { return this.name ? 'node_label_italic' : ''; },
            oneditprepare: function () {
                prepareDialog(this);
                if (spec.oneditprepare) {
                    spec.oneditprepare.call(this);
                }
            },
            oneditsave: function () {
                saveWindowDialog(this);
            }
        };
    }

    window.StreamKitEditor = {
        COLOR: COLOR,
        UNITS: UNITS,
        UNIT_MS: UNIT_MS,
        AGGREGATES: AGGREGATES,
        DEFAULT_AGGREGATES: DEFAULT_AGGREGATES,
        PROPERTY_TYPES: PROPERTY_TYPES,
        FILTER_OPERATORS: FILTER_OPERATORS,
        FILTER_TYPES: FILTER_TYPES,
        RULE_VALUE_TYPES: RULE_VALUE_TYPES,
        RULE_VALUE2_TYPES: RULE_VALUE2_TYPES,

        tr: tr,
        toNumber: toNumber,
        toMs: toMs,
        formatDuration: formatDuration,
        formatProperty: formatProperty,
        fieldValue: fieldValue,
        checkJsonata: checkJsonata,
        checkRule: checkRule,
        findOperator: findOperator,

        validators: {
            oneOf: oneOf,
            unit: unitValidator,
            duration: duration,
            tumblingOffset: tumblingOffset,
            finiteNumber: finiteNumber,
            typedProperty: typedProperty,
            msgPath: msgPath,
            jsonataExpression: jsonataExpression,
            aggregates: aggregatesValidator,
            filterRules: filterRules,
            wholeNumber: wholeNumber,
            kafkaBrokers: kafkaBrokers,
            boolean: booleanValidator
        },

        recordDefaults: recordDefaults,
        windowDefaults: windowDefaults,
        windowOutputs: windowOutputs,

        expandTemplate: expandTemplate,
        loadCss: loadCss,
        beginDialog: beginDialog,
        propertyInput: propertyInput,
        revalidateOnChange: revalidateOnChange,
        prepareDialog: prepareDialog,
        prepareAggregates: prepareAggregates,
        checkedAggregates: checkedAggregates,
        saveWindowDialog: saveWindowDialog,

        keyLabel: keyLabel,
        windowOutputLabels: windowOutputLabels,
        windowEditor: windowEditor
    };
})();
