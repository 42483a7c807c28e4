#!/usr/bin/env node
// make-layout.js: write the TouchOSC layout share/touchosc/lathe.tosc from
// lathe's parameter registry (`lathe params --json`).
//
//   node share/touchosc/make-layout.js [LATHE] [--out FILE] [--xml FILE]
//                                      [--reply-port N] [--lexml 6|3]
//
// LATHE is the lathe binary (default: $LATHE, else ./lathe). Labels, ranges,
// units, defaults and enum names come from the registry; only positions,
// colours and section titles are written here. The protocol the layout speaks
// is osc/README.md's. The output is deterministic: the same registry gives
// the same bytes (node IDs are hashes of control names; the zlib stream is
// made by the small deflate at the end of this file, not by the zlib that
// happens to be linked into node, whose output differs between versions).
//
// The .tosc format (TouchOSC 1.x, "mk2"): a zlib stream of one line of XML,
// <lexml version='6'> holding one GROUP <node> (the document root), each node
// with <properties> (sorted by key), <values>, optional <messages> and
// <children>. Keys and strings are CDATA. This is what TouchOSC 1.5 saves;
// --lexml 3 writes the format of earlier 1.x releases.
//
// No npm dependencies: node's standard library only.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

/* ---------------------------------------------------------------- options */

function usage(msg) {
	if (msg) process.stderr.write(`make-layout.js: ${msg}\n`);
	process.stderr.write('usage: node make-layout.js [LATHE] [--out FILE] [--xml FILE] ' +
		'[--reply-port N] [--lexml 6|3]\n');
	process.exit(2);
}

const opt = {
	lathe: process.env.LATHE || './lathe',
	out: path.join(__dirname, 'lathe.tosc'),
	xml: null,
	replyPort: 9000, // TouchOSC's default receive port for a new OSC connection
	lexml: '6',
};
{
	const a = process.argv.slice(2);
	let positional = 0;
	for (let i = 0; i < a.length; i++) {
		const want = () => (i + 1 < a.length ? a[++i] : usage(`${a[i]} needs a value`));
		if (a[i] === '--out') opt.out = want();
		else if (a[i] === '--xml') opt.xml = want();
		else if (a[i] === '--reply-port') opt.replyPort = Number(want());
		else if (a[i] === '--lexml') opt.lexml = want();
		else if (a[i] === '-h' || a[i] === '--help') usage();
		else if (a[i].startsWith('-')) usage(`unknown option ${a[i]}`);
		else if (positional++ === 0) opt.lathe = a[i];
		else usage(`unexpected argument ${a[i]}`);
	}
	if (!Number.isInteger(opt.replyPort) || opt.replyPort < 1 || opt.replyPort > 65535)
		usage('--reply-port takes a UDP port, 1..65535');
	if (opt.lexml !== '6' && opt.lexml !== '3') usage('--lexml takes 6 or 3');
}

/* --------------------------------------------------------------- registry */

let registry;
try {
	registry = JSON.parse(execFileSync(opt.lathe, ['params', '--json'],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
} catch (e) {
	process.stderr.write(`make-layout.js: cannot read the registry from '${opt.lathe} params --json': ${e.message}\n`);
	process.exit(1);
}
const byPath = new Map(registry.map(p => [p.path, p]));

// A registry parameter the layout uses; a missing one is an error, so the
// layout cannot drift from the registry silently.
function P(p) {
	const r = byPath.get(p);
	if (!r) throw new Error(`the registry has no ${p} (lathe params --json)`);
	return r;
}

// The control's travel 0..1 for a native value, on its taper (src/params.h:
// linear and dB are linear, log is logarithmic, enums and toggles count steps).
function toNorm(p, v) {
	if (p.max === p.min) return 0;
	const t = p.taper === 'log' ? Math.log(v / p.min) / Math.log(p.max / p.min)
		: (v - p.min) / (p.max - p.min);
	return Math.min(1, Math.max(0, t));
}

// Decimals shown for a parameter's value: from its range.
function decimals(p) {
	const r = p.max - p.min;
	return r >= 200 ? 0 : r >= 2 ? 1 : 2;
}

function fmtValue(v, dec, unit) {
	let s = v.toFixed(dec);
	if (Number(s) === 0) s = (0).toFixed(dec);
	return unit ? `${s} ${unit}` : s;
}

function fmtRange(p) {
	const n = v => String(Number(v.toFixed(3)));
	return `${n(p.min)} \u2026 ${n(p.max)}${p.unit ? ' ' + p.unit : ''}`;
}

// Registry labels are sentence case ("Input gain", "limiter on"); the layout
// shows them as panel captions, in capitals.
const caps = s => s.toUpperCase();

/* ------------------------------------------------------------ the XML tree */

const C = {
	bg: [0.06, 0.063, 0.071, 1],
	panel: [0.118, 0.122, 0.137, 1],
	text: [0.86, 0.87, 0.89, 1],
	dim: [0.55, 0.57, 0.6, 1],
	clear: [0, 0, 0, 0],
	ab: [0.95, 0.62, 0.12, 1],
	source: [0, 0.72, 0.62, 1],
	monitor: [0.25, 0.52, 0.95, 1],
	dimkey: [0.85, 0.6, 0.1, 1],
	mute: [0.9, 0.2, 0.18, 1],
	limiter: [0.96, 0.42, 0.1, 1],
	input: [0.42, 0.78, 0.2, 1],
	meter: [0.35, 0.8, 0.45, 1],
	snap: [0.55, 0.42, 0.95, 1],
	store: [0.9, 0.2, 0.18, 0.55],
};

const names = new Set();

// A deterministic node ID (UUID-shaped, version 5 style) from the control's
// name, which is unique in the layout.
function nodeId(name) {
	const h = crypto.createHash('sha1').update('lathe.tosc/' + name).digest('hex');
	const v = (8 | (parseInt(h[16], 16) & 3)).toString(16);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const TYPE_PROPS = {
	GROUP: {},
	BOX: {},
	LABEL: {
		font: ['i', 0], textAlignH: ['i', 2], textAlignV: ['i', 2], textClip: ['b', 1],
		textColor: ['c', C.text], textLength: ['i', 0], textSize: ['i', 14],
	},
	BUTTON: { buttonType: ['i', 0], press: ['b', 1], release: ['b', 1], valuePosition: ['b', 0] },
	FADER: {
		bar: ['b', 1], barDisplay: ['i', 0], centered: ['b', 0], cursor: ['b', 1], cursorDisplay: ['i', 0],
		grid: ['b', 1], gridColor: ['c', [0, 0, 0, 0.25]], gridSteps: ['i', 10],
		response: ['i', 0], responseFactor: ['i', 100],
	},
	RADIO: { radioType: ['i', 0], steps: ['i', 2] },
};

// The values each control type carries, in the order TouchOSC writes them.
const TYPE_VALUES = {
	GROUP: [], BOX: [], LABEL: ['text'], BUTTON: ['x'], FADER: ['x'], RADIO: ['x'],
};

// A control. props overrides the defaults by key; value: the default of its
// x or text; dynamic: a label whose text the layout changes (not locked to
// its default).
function ctl(type, name, frame, props = {}, o = {}) {
	if (names.has(name)) throw new Error(`two controls named ${name}`);
	names.add(name);
	const base = {
		background: ['b', 1], color: ['c', C.panel], cornerRadius: ['f', 1], frame: ['r', frame],
		grabFocus: ['b', type === 'GROUP' || type === 'BOX' ? 0 : 1],
		interactive: ['b', ['BUTTON', 'FADER', 'RADIO'].includes(type) ? 1 : 0],
		locked: ['b', 0], name: ['s', name], orientation: ['i', 0], outline: ['b', 0],
		outlineStyle: ['i', 0], pointerPriority: ['i', 0], shape: ['i', 1], visible: ['b', 1],
		...TYPE_PROPS[type],
	};
	for (const [k, v] of Object.entries(props)) {
		if (!(k in base) && k !== 'script') throw new Error(`${type} ${name}: unknown property ${k}`);
		base[k] = k === 'script' ? ['s', v] : [base[k][0], v];
	}
	const values = TYPE_VALUES[type].map(key => ({
		key,
		def: String(o.value !== undefined ? o.value : key === 'text' ? '' : 0),
		ldc: key === 'text' && !o.dynamic ? 1 : 0,
	}));
	values.push({ key: 'touch', def: 'false', ldc: 0 });
	return { type, name, props: base, values, messages: [], children: [] };
}

function add(parent, ...kids) {
	for (const k of kids.flat()) parent.children.push(k);
	return parent;
}

// An OSC message. path: the full address (one constant partial, so the
// address is readable in the editor and checkable by tests); arg: the value
// it carries ('x'), with the conversion and scale; trigger: 'ANY' or 'RISE'
// (send only on press); send/receive as TouchOSC's flags.
function osc(address, { send = true, receive = true, arg = 'x', conversion = 'FLOAT',
	scale = [0, 1], trigger = 'ANY' } = {}) {
	return { kind: 'osc', address, send, receive, arg, conversion, scale, trigger: send ? trigger : null };
}

/* ------------------------------------------------------------- serializer */

function num(x) {
	if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`not a number: ${x}`);
	const s = String(Number(x.toFixed(6)));
	return s === '-0' ? '0' : s;
}

function cdata(s) {
	s = String(s);
	if (s.includes(']]>')) throw new Error(`']]>' cannot go in a CDATA section: ${s.slice(0, 60)}`);
	return `<![CDATA[${s}]]>`;
}

function propXML(key, [t, v]) {
	let val;
	if (t === 'c') val = `<r>${num(v[0])}</r><g>${num(v[1])}</g><b>${num(v[2])}</b><a>${num(v[3])}</a>`;
	else if (t === 'r') val = `<x>${num(v[0])}</x><y>${num(v[1])}</y><w>${num(v[2])}</w><h>${num(v[3])}</h>`;
	else if (t === 's') val = cdata(v);
	else if (t === 'b') val = v ? '1' : '0';
	else if (t === 'i') val = num(Math.round(v));
	else val = num(v);
	return `<property type='${t}'><key>${cdata(key)}</key><value>${val}</value></property>`;
}

function partialXML(type, conversion, value, min = 0, max = 1) {
	return `<partial><type>${type}</type><conversion>${conversion}</conversion>` +
		`<value>${cdata(value)}</value><scaleMin>${num(min)}</scaleMin><scaleMax>${num(max)}</scaleMax></partial>`;
}

function oscXML(m) {
	const v6 = opt.lexml === '6';
	let s = `<osc><enabled>1</enabled><send>${m.send ? 1 : 0}</send><receive>${m.receive ? 1 : 0}</receive>` +
		`<feedback>0</feedback>${v6 ? '<noDuplicates>0</noDuplicates>' : ''}` +
		`<connections>${v6 ? '1111111111' : '11111'}</connections>`;
	if (m.trigger) s += `<triggers><trigger><var>${cdata('x')}</var><condition>${m.trigger}</condition></trigger></triggers>`;
	s += `<path>${partialXML('CONSTANT', 'STRING', m.address)}</path>`;
	s += '<arguments>' + (m.arg ? partialXML('VALUE', m.conversion, m.arg, m.scale[0], m.scale[1]) : '') + '</arguments>';
	return s + '</osc>';
}

function nodeXML(n, isRoot) {
	let s = `<node ID='${nodeId(n.name)}' type='${n.type}'>`;
	if (isRoot && opt.lexml === '6') s += '<includes></includes>';
	s += '<properties>';
	for (const key of Object.keys(n.props).sort()) s += propXML(key, n.props[key]);
	s += '</properties><values>';
	for (const v of n.values)
		s += `<value><key>${cdata(v.key)}</key><locked>0</locked><lockedDefaultCurrent>${v.ldc}</lockedDefaultCurrent>` +
			`<default>${cdata(v.def)}</default><defaultPull>0</defaultPull></value>`;
	s += '</values>';
	if (n.messages.length) s += '<messages>' + n.messages.map(oscXML).join('') + '</messages>';
	if (n.children.length) s += '<children>' + n.children.map(c => nodeXML(c, false)).join('') + '</children>';
	return s + '</node>';
}

/* ---------------------------------------------------------------- widgets */

const W = 1024, H = 768;

function panel(name, title, frame, accent) {
	const g = ctl('GROUP', name, frame, { color: C.panel, cornerRadius: 2 });
	add(g, ctl('LABEL', `${name}_title`, [12, 6, 220, 20],
		{ background: 0, textAlignH: 1, textSize: 13, textColor: accent }, { value: title }));
	return g;
}

function label(name, frame, text, props = {}, o = {}) {
	return ctl('LABEL', name, frame, { background: 0, ...props }, { value: text, ...o });
}

// A toggle button bound to a toggle parameter's native path (f 0/1 both ways).
function toggle(name, p, frame, color, text) {
	if (p.taper !== 'toggle') throw new Error(`${p.path} is not a toggle`);
	const b = ctl('BUTTON', name, frame, { buttonType: 2, color, outline: 1, outlineStyle: 1 },
		{ value: p.default });
	b.messages.push(osc(p.path));
	return [b, label(`${name}_label`, frame, text || caps(p.label), { textSize: 13, textColor: C.text })];
}

// A momentary button that runs an action when pressed (the release sends
// nothing: trigger RISE).
function action(name, address, frame, color, text, textSize = 12) {
	const b = ctl('BUTTON', name, frame, { buttonType: 0, color, outline: 1, outlineStyle: 1 });
	b.messages.push(osc(address, { receive: false, trigger: 'RISE' }));
	return text ? [b, label(`${name}_label`, frame, text, { textSize, textColor: C.text })] : [b];
}

// A radio bound to an enum's native path: sends i index, takes lathe's
// f index (the name that follows it is not read), one segment per enum name.
function select(name, p, frame, color, textSize = 14) {
	if (p.taper !== 'enum' || !Array.isArray(p.values)) throw new Error(`${p.path} is not an enum`);
	const n = p.values.length;
	const r = ctl('RADIO', name, frame, { color, orientation: 1, steps: n, outline: 1, outlineStyle: 1 },
		{ value: p.default });
	r.messages.push(osc(p.path, { conversion: 'INTEGER' }));
	const [x, y, w, h] = frame;
	const labels = p.values.map((v, i) => label(`${name}_${i}`,
		[x + (w * i) / n, y, w / n, h], caps(v), { textSize, textColor: C.text }));
	return [r, ...labels];
}

// A vertical fader on a parameter's /norm twin, with its registry label
// above, the native value below (from lathe's feedback on the native path,
// shown by the root script) and the registry range under it.
function strip(name, p, x, y, w, color, fh = 184) {
	if (!['db', 'linear', 'log'].includes(p.taper)) throw new Error(`${p.path} is not continuous`);
	const dec = decimals(p);
	const bipolar = p.min < 0 && p.max > 0;
	const span = p.max - p.min;
	const fader = ctl('FADER', name, [x + 8, y + 20, w - 16, fh], {
		color, centered: bipolar ? 1 : 0, cursor: 1, outline: 1, outlineStyle: 1, response: 1,
		gridSteps: p.taper === 'db' && span % 6 === 0 && span / 6 <= 16 ? span / 6 : 10,
	}, { value: num(toNorm(p, p.default)) });
	fader.messages.push(osc(p.path + '/norm'));
	const value = label(`${name}_value`, [x - 4, y + fh + 24, w + 8, 24],
		fmtValue(p.default, dec, p.unit), { textSize: 15, textColor: C.text }, { dynamic: true });
	readouts.push({ address: p.path, control: value.name, dec, unit: p.unit });
	return [
		label(`${name}_caption`, [x - 6, y, w + 12, 18], caps(p.label), { textSize: 10, textColor: C.dim }),
		fader, value,
		label(`${name}_range`, [x - 6, y + fh + 48, w + 12, 16], fmtRange(p), { textSize: 9, textColor: C.dim }),
	];
}

// A level bar that only shows (a fader nobody can move); the root script
// sets it from a meter.
function bar(name, frame, color, orientation = 0) {
	return ctl('FADER', name, frame, {
		color, interactive: 0, grabFocus: 0, cursor: 0, grid: 1, gridSteps: 8, orientation, outline: 1,
	});
}

/* --------------------------------------------------------- what is shown */

// Addresses whose first argument the root script writes into a label:
// native values of the faders (filled in by strip) and the meters of
// osc/README.md ("Meters"), with their units.
const readouts = [];
// Meter addresses that drive bars: [address, argument index, bar name, lo, hi].
const bars = [];

const TP_FLOOR = -48; // bottom of the true-peak bars, dBTP

const chain = P('/chain');
const source = P('/source');
const root = ctl('GROUP', 'lathe', [0, 0, W, H], { color: C.bg, cornerRadius: 0 });

// Header: title and the link status (written by the root script).
add(root,
	label('title', [14, 8, 200, 36], 'lathe', { textAlignH: 1, textSize: 22, textColor: C.text }),
	label('status', [220, 8, W - 232, 36], `waiting for lathe (replies to port ${opt.replyPort})`,
		{ textAlignH: 3, textSize: 12, textColor: C.dim }, { dynamic: true }));

// A/B: the big key toggles (/chain/toggle) and shows the chain on the print
// (/chain fed back); the radio below selects one.
{
	const g = panel('ab', caps(chain.label), [8, 52, 328, 196], C.ab);
	const [key] = action('ab_toggle', '/chain/toggle', [12, 32, 304, 92], C.ab, '');
	add(g, key,
		label('ab_current', [12, 32, 304, 72], caps(chain.values[chain.default]),
			{ textSize: 44, textColor: C.text }, { dynamic: true }),
		label('ab_hint', [12, 100, 304, 20], 'TAP TO TOGGLE', { textSize: 9, textColor: C.dim }),
		select('ab_select', chain, [12, 132, 304, 52], C.ab, 16));
	add(root, g);
}

// Source select (/source) and the compare helpers of the monitor.
{
	const g = panel('source', caps(source.label), [344, 52, 336, 196], C.source);
	add(g, select('source_select', source, [12, 32, 312, 64], C.source, 12),
		toggle('monitor_match', P('/monitor/match'), [12, 108, 152, 76], C.source),
		toggle('monitor_delta', P('/monitor/delta'), [172, 108, 152, 76], C.source));
	add(root, g);
}

// Loudness and true peak of the print (lathe's meters, /lathe/meters).
{
	const g = panel('loudness', 'LOUDNESS', [688, 52, 328, 196], C.meter);
	add(g, action('loudness_reset', '/loudness/reset', [244, 6, 72, 22], C.meter, 'RESET', 10));
	const cells = [
		['/meter/momentary', 'MOMENTARY', 'LUFS'],
		['/meter/short_term', 'SHORT-TERM', 'LUFS'],
		['/meter/integrated', 'INTEGRATED', 'LUFS'],
		['/meter/true_peak', 'TRUE PEAK', 'dBTP'],
		['/meter/true_peak_max', 'TP MAX', 'dBTP'],
		['/meter/lra', 'LRA', 'LU'],
	];
	cells.forEach(([address, title, unit], i) => {
		const x = 12 + (i % 3) * 104, y = 32 + Math.floor(i / 3) * 80;
		const id = 'meter_' + address.split('/').pop();
		add(g,
			label(`${id}_caption`, [x, y, 96, 18], `${title} ${unit}`, { textSize: 9, textColor: C.dim }),
			label(id, [x, y + 18, 96, 52], '--.-', { textSize: 24, textColor: C.text, background: 1,
				color: [0.085, 0.088, 0.1, 1], cornerRadius: 1 }, { dynamic: true }));
		// the true peak comes as L and R: the readout shows the higher
		readouts.push({ address, control: id, dec: 1, unit: '', max2: address === '/meter/true_peak' });
	});
	add(root, g);
}

// Monitor: mono, side, dim, mute and the monitor level.
{
	const g = panel('monitor', 'MONITOR', [8, 256, 328, 300], C.monitor);
	add(g,
		toggle('monitor_mono', P('/monitor/mono'), [12, 32, 100, 120], C.monitor),
		toggle('monitor_side', P('/monitor/side'), [120, 32, 100, 120], C.monitor),
		toggle('monitor_dim', P('/monitor/dim'), [12, 160, 100, 120], C.dimkey),
		toggle('monitor_mute', P('/monitor/mute'), [120, 160, 100, 120], C.mute),
		strip('monitor_level', P('/monitor/level'), 236, 32, 80, C.monitor));
	add(root, g);
}

// Limiter of the selected chain: in/out, input gain, ceiling, gain reduction.
{
	const lim = P('/limiter/enable');
	const g = panel('limiter', caps(lim.module), [344, 256, 336, 300], C.limiter);
	const gain = P('/limiter/input_gain');
	add(g,
		toggle('limiter_enable', lim, [12, 32, 96, 60], C.limiter),
		label('limiter_gr_caption', [8, 100, 104, 18], 'GAIN REDUCTION dB', { textSize: 9, textColor: C.dim }),
		label('limiter_gr', [12, 118, 96, 28], '--.-', { textSize: 16, textColor: C.text }, { dynamic: true }),
		bar('limiter_gr_bar', [44, 152, 32, 112], C.limiter, 2),
		label('limiter_gr_range', [8, 266, 104, 16], `0 \u2026 ${num(gain.max)} dB`, { textSize: 9, textColor: C.dim }),
		strip('limiter_input_gain', gain, 124, 32, 92, C.limiter),
		strip('limiter_ceiling', P('/limiter/ceiling'), 232, 32, 92, C.limiter));
	readouts.push({ address: '/meter/gr/limiter', control: 'limiter_gr', dec: 1, unit: '', abs: true });
	bars.push(['/meter/gr/limiter', 1, 'limiter_gr_bar', 0, gain.max, true]);
	add(root, g);
}

// Input trim of the selected chain, and the true-peak bars of the print.
{
	const g = panel('input', caps(P('/input/trim').module), [688, 256, 328, 300], C.input);
	add(g,
		strip('input_trim', P('/input/trim'), 20, 32, 92, C.input),
		label('tp_caption', [136, 6, 180, 20], 'TRUE PEAK dBTP', { textAlignH: 3, textSize: 13, textColor: C.meter }),
		bar('tp_l', [176, 52, 40, 184], C.meter), bar('tp_r', [228, 52, 40, 184], C.meter),
		label('tp_l_label', [176, 240, 40, 20], 'L', { textSize: 12, textColor: C.dim }),
		label('tp_r_label', [228, 240, 40, 20], 'R', { textSize: 12, textColor: C.dim }),
		label('tp_top', [272, 52, 48, 16], '0', { textAlignH: 1, textSize: 9, textColor: C.dim }),
		label('tp_bottom', [272, 220, 48, 16], String(TP_FLOOR), { textAlignH: 1, textSize: 9, textColor: C.dim }));
	bars.push(['/meter/true_peak', 1, 'tp_l', TP_FLOOR, 0, false], ['/meter/true_peak', 2, 'tp_r', TP_FLOOR, 0, false]);
	add(root, g);
}

// Snapshots 1..16: a pad recalls (/snapshot/N/recall), the light under it
// shows /snapshot/N/stored; STORE arms the store pads (/snapshot/N/store),
// which cover the recall pads until one is pressed.
const SNAPSHOTS = 16;
{
	const g = panel('snapshots', 'SNAPSHOTS', [8, 564, 1008, 196], C.snap);
	add(g, label('snap_active', [240, 6, 400, 22], 'active: none',
		{ textAlignH: 1, textSize: 12, textColor: C.dim }, { dynamic: true }));
	const arm = ctl('BUTTON', 'snap_store', [880, 6, 116, 24],
		{ buttonType: 2, color: C.mute, outline: 1, outlineStyle: 1,
			script: [
				'-- STORE: shows the store pads over the recall pads while armed.',
				'function onValueChanged(key)',
				"  if key == 'x' then",
				"    local pads = root:findByName('snap_store_pads', true)",
				'    if pads then pads.visible = self.values.x > 0.5 end',
				'  end',
				'end',
			].join('\n') });
	add(g, arm, label('snap_store_label', [880, 6, 116, 24], 'STORE', { textSize: 11, textColor: C.text }));
	const padFrame = n => [12 + ((n - 1) % 8) * 125, 36 + Math.floor((n - 1) / 8) * 80, 117, 72];
	const store = ctl('GROUP', 'snap_store_pads', [0, 0, 1008, 196],
		{ background: 0, color: C.clear, visible: 0 });
	for (let n = 1; n <= SNAPSHOTS; n++) {
		const f = padFrame(n);
		const lit = ctl('BUTTON', `snap_${n}_stored`, f, { buttonType: 1, color: C.snap, interactive: 0, grabFocus: 0 });
		lit.messages.push(osc(`/snapshot/${n}/stored`, { send: false }));
		const pad = ctl('BUTTON', `snap_${n}`, f, { buttonType: 0, background: 0, color: [1, 1, 1, 0.9], outline: 1, outlineStyle: 1 });
		pad.messages.push(osc(`/snapshot/${n}/recall`, { receive: false, trigger: 'RISE' }));
		add(g, lit, pad, label(`snap_${n}_label`, f, String(n), { textSize: 22, textColor: C.text }));
		const sp = ctl('BUTTON', `snap_${n}_store`, f, {
			buttonType: 0, color: C.store, outline: 1, outlineStyle: 1,
			script: [
				'-- a store disarms STORE',
				'function onValueChanged(key)',
				"  if key == 'x' and self.values.x > 0.5 then",
				"    local arm = root:findByName('snap_store', true)",
				'    if arm then arm.values.x = 0 end',
				'  end',
				'end',
			].join('\n'),
		});
		sp.messages.push(osc(`/snapshot/${n}/store`, { receive: false, trigger: 'RISE' }));
		add(store, sp);
	}
	add(g, store);
	add(root, g);
}

/* -------------------------------------------------------- the root script */

// Lua string literal.
const lq = s => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";

const rootScript = `-- lathe: this surface's link to the console (generated by share/touchosc/make-layout.js).
-- It registers with lathe (/lathe/register, replies to REPLY_PORT) and asks for
-- meters at once and every RENEW_MS, since lathe forgets a surface after 60 s of
-- silence; and it writes the values lathe sends into the readouts.
-- While nothing comes from lathe it asks every RETRY_MS instead.
-- REPLY_PORT must be the receive port of this tablet's OSC connection.

local REPLY_PORT = ${opt.replyPort}
local METER_HZ = 20
local RENEW_MS = 20000
local RETRY_MS = 5000
local SILENT_MS = 3000

-- address -> { label, decimals, unit, flags }: the first argument, formatted
local show = {
${readouts.map(r => `  [${lq(r.address)}] = { name = ${lq(r.control)}, dec = ${r.dec}, unit = ${lq(r.unit)}${r.max2 ? ', max2 = true' : ''}${r.abs ? ', abs = true' : ''} },`).join('\n')}
}

-- address -> bars set from its arguments: { argument, bar, lo, hi, abs }
local meters = {
${[...new Set(bars.map(b => b[0]))].map(a => `  [${lq(a)}] = {\n${bars.filter(b => b[0] === a).map(b => `    { arg = ${b[1]}, name = ${lq(b[2])}, lo = ${num(b[3])}, hi = ${num(b[4])}${b[5] ? ', abs = true' : ''} },`).join('\n')}\n  },`).join('\n')}
}

-- the enum names of /chain, from the registry
local CHAINS = { ${chain.values.map(v => lq(caps(v))).join(', ')} }
local SNAPSHOTS = ${SNAPSHOTS}
local ACTIVE_RGBA = { 1, 0.8, 0.2, 1 }
local PLAIN_RGBA = { ${C.text.map(num).join(', ')} }

local ctl = {}
local lastHello = nil
local lastRx = -1e9
local live = nil
local note = nil
local noteUntil = 0

local function find(name)
  local c = ctl[name]
  if c == nil then
    c = self:findByName(name, true)
    ctl[name] = c
  end
  return c
end

local function setText(name, text)
  local c = find(name)
  if c then c.values.text = text end
end

local function fmt(v, dec, unit)
  if v <= -119.95 then return '--.-' end
  if math.abs(v) < 0.5 * 10 ^ -dec then v = 0 end
  local s = string.format('%.' .. dec .. 'f', v)
  if unit ~= '' then s = s .. ' ' .. unit end
  return s
end

local function number(a)
  if a ~= nil and type(a.value) == 'number' then return a.value end
  return nil
end

local function hello()
  sendOSC({ '/lathe/register', { { tag = 'i', value = REPLY_PORT } } })
  sendOSC({ '/lathe/meters', { { tag = 'i', value = METER_HZ } } })
end

local function status()
  local text
  if note ~= nil and getMillis() < noteUntil then
    text = note
  elseif live then
    text = 'lathe: connected (replies to port ' .. REPLY_PORT .. ')'
  else
    text = 'waiting for lathe (replies to port ' .. REPLY_PORT .. ')'
  end
  setText('status', text)
end

function update()
  local now = getMillis()
  local isLive = (now - lastRx) < SILENT_MS
  if lastHello == nil or now - lastHello >= (isLive and RENEW_MS or RETRY_MS) then
    hello()
    lastHello = now
  end
  if isLive ~= live or (note ~= nil and now >= noteUntil) then
    live = isLive
    if note ~= nil and now >= noteUntil then note = nil end
    status()
  end
end

function onReceiveOSC(message, connections)
  local path = message[1]
  local args = message[2]
  lastRx = getMillis()

  local r = show[path]
  if r ~= nil then
    local v = number(args[1])
    if r.max2 then
      local w = number(args[2])
      if v == nil or (w ~= nil and w > v) then v = w end
    end
    if v ~= nil then
      if r.abs then v = math.abs(v) end
      setText(r.name, fmt(v, r.dec, r.unit))
    end
  end

  local m = meters[path]
  if m ~= nil then
    for i = 1, #m do
      local b = m[i]
      local v = number(args[b.arg])
      local c = find(b.name)
      if v ~= nil and c then
        if b.abs then v = math.abs(v) end
        local x = (v - b.lo) / (b.hi - b.lo)
        if x < 0 then x = 0 elseif x > 1 then x = 1 end
        c.values.x = x
      end
    end
  end

  if path == '/chain' then
    local i = number(args[1])
    if i ~= nil and CHAINS[math.floor(i + 0.5) + 1] then
      setText('ab_current', CHAINS[math.floor(i + 0.5) + 1])
    end
  elseif path == '/snapshot/active' or path == '/meter/snapshot' then
    local n = number(args[1])
    if n ~= nil then
      n = math.floor(n + 0.5)
      setText('snap_active', n > 0 and ('active: ' .. n) or 'active: none')
      for i = 1, SNAPSHOTS do
        local c = find('snap_' .. i .. '_label')
        local k = (i == n) and ACTIVE_RGBA or PLAIN_RGBA
        if c then c.textColor = Color(k[1], k[2], k[3], k[4]) end
      end
    end
  elseif path == '/lathe/registered' then
    note = nil
    live = true
    status()
  elseif path == '/lathe/error' then
    local what = args[1] and tostring(args[1].value) or ''
    local why = args[2] and tostring(args[2].value) or ''
    note = 'lathe: ' .. what .. ': ' .. why
    noteUntil = getMillis() + 5000
    status()
  end
  -- nothing is returned: the controls bound to this address still get it
end
`;
root.props.script = ['s', rootScript];

/* ------------------------------------------------------------------ write */

const xml = `<?xml version='1.0' encoding='UTF-8'?><lexml version='${opt.lexml}'>${nodeXML(root, true)}</lexml>`;
const data = Buffer.from(xml, 'utf8');
const tosc = zlibDeflate(data);

fs.writeFileSync(opt.out, tosc);
// The XML export breaks lines between elements, never inside a CDATA section.
if (opt.xml) fs.writeFileSync(opt.xml, xml.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
	.map((part, i) => (i % 2 ? part : part.replace(/></g, '>\n<'))).join('') + '\n');
process.stdout.write(`make-layout.js: wrote ${opt.out} (${names.size} controls, ${data.length} bytes of XML, ${tosc.length} compressed)\n`);

/* ----------------------------------------------------------------- deflate */

// A zlib stream (RFC 1950) of one deflate block with the fixed Huffman codes
// (RFC 1951, 3.2.6), greedy LZ77 over a 32 KiB window. Its output depends on
// nothing but its input, which a test needs to see that the shipped file is
// what the generator makes; any inflate (TouchOSC's, node's) reads it.
function zlibDeflate(input) {
	const out = [];
	let acc = 0, nacc = 0;
	const bits = (v, n) => { // LSB first
		acc |= v << nacc; nacc += n;
		while (nacc >= 8) { out.push(acc & 255); acc >>>= 8; nacc -= 8; }
	};
	const rev = (v, n) => { let r = 0; for (let i = 0; i < n; i++) { r = (r << 1) | (v & 1); v >>= 1; } return r; };
	const huff = (code, n) => bits(rev(code, n), n); // Huffman codes go MSB first
	const lit = c => {
		if (c < 144) huff(0x30 + c, 8);
		else if (c < 256) huff(0x190 + c - 144, 9);
		else if (c < 280) huff(c - 256, 7);
		else huff(0xc0 + c - 280, 8);
	};
	const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
	const LEXT = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
	const DBASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
	const DEXT = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
	const match = (len, dist) => {
		let i = LBASE.length - 1; while (LBASE[i] > len) i--;
		lit(257 + i); if (LEXT[i]) bits(len - LBASE[i], LEXT[i]);
		let j = DBASE.length - 1; while (DBASE[j] > dist) j--;
		huff(j, 5); if (DEXT[j]) bits(dist - DBASE[j], DEXT[j]);
	};

	out.push(0x78, 0x9c); // deflate, 32 KiB window; (0x789c % 31) == 0
	bits(1, 1); bits(1, 2); // the final block, fixed Huffman codes
	const WINDOW = 32768, HBITS = 15, CHAIN = 128, MAXLEN = 258;
	const head = new Int32Array(1 << HBITS).fill(-1);
	const prev = new Int32Array(input.length).fill(-1);
	const hash = i => (((input[i] << 10) ^ (input[i + 1] << 5) ^ input[i + 2]) & ((1 << HBITS) - 1));
	const insert = i => { if (i + 2 < input.length) { const h = hash(i); prev[i] = head[h]; head[h] = i; } };
	let i = 0;
	while (i < input.length) {
		let bestLen = 0, bestDist = 0;
		if (i + 2 < input.length) {
			const limit = Math.min(MAXLEN, input.length - i);
			let cand = head[hash(i)], chain = CHAIN;
			while (cand >= 0 && i - cand <= WINDOW && chain-- > 0) {
				if (input[cand + bestLen] === input[i + bestLen]) {
					let l = 0;
					while (l < limit && input[cand + l] === input[i + l]) l++;
					if (l > bestLen) { bestLen = l; bestDist = i - cand; if (l === limit) break; }
				}
				cand = prev[cand];
			}
		}
		if (bestLen >= 3) {
			match(bestLen, bestDist);
			for (let k = 0; k < bestLen; k++) insert(i + k);
			i += bestLen;
		} else {
			lit(input[i]);
			insert(i);
			i++;
		}
	}
	lit(256); // end of block
	if (nacc > 0) out.push(acc & 255);
	let a = 1, b = 0; // Adler-32, big-endian
	for (let k = 0; k < input.length; k++) { a = (a + input[k]) % 65521; b = (b + a) % 65521; }
	out.push((b >>> 8) & 255, b & 255, (a >>> 8) & 255, a & 255);
	return Buffer.from(out);
}
