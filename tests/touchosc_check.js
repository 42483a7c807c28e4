#!/usr/bin/env node
// touchosc_check.js: checks a TouchOSC layout (.tosc) against lathe's OSC
// namespace. Used by tests/test_touchosc.sh; node's standard library only.
//
//   node tests/touchosc_check.js --tosc FILE --lathe LATHE --osc-readme osc/README.md
//
// 1. the file is a zlib stream of well-formed XML in TouchOSC's layout format
//    (<lexml version='6' or '3'>, one GROUP root, nodes with typed
//    properties, values, OSC messages with constant addresses);
// 2. every OSC address it sends or receives, in a control's messages or in a
//    script (sendOSC literals, ['/address'] table keys), is in lathe's
//    namespace: a registry path (plain, /a, /b, /snapshot/N, each with or
//    without /norm), an order, or an address osc/README.md names (actions,
//    reported state, /meter/*, /lathe/*);
// 3. the controls the layout exists for are there and bound the right way.
// Prints what it found; exits 1 with the reasons on failure.
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const args = { tosc: 'share/touchosc/lathe.tosc', lathe: process.env.LATHE || './lathe', readme: 'osc/README.md' };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = process.argv[++i];
	if (a === '--tosc') args.tosc = v;
	else if (a === '--lathe') args.lathe = v;
	else if (a === '--osc-readme') args.readme = v;
	else { process.stderr.write(`touchosc_check.js: unknown argument ${a}\n`); process.exit(2); }
}

const problems = [];
const problem = s => problems.push(s);
function finish() {
	if (problems.length) {
		process.stderr.write(`touchosc_check.js: ${args.tosc}: ${problems.length} problem(s):\n` +
			problems.slice(0, 40).map(p => `  - ${p}\n`).join('') +
			(problems.length > 40 ? `  ... and ${problems.length - 40} more\n` : ''));
		process.exit(1);
	}
	process.exit(0);
}

/* ------------------------------------------------- 1. zlib, XML, format */

let text;
try {
	text = zlib.inflateSync(fs.readFileSync(args.tosc)).toString('utf8');
} catch (e) {
	problem(`not a zlib stream: ${e.message}`);
	finish();
}

// A strict parser for the XML TouchOSC writes: a declaration, elements with
// quoted attributes, CDATA sections and character data; entity references
// are the five predefined ones. Throws on anything malformed.
function parseXML(s) {
	let i = 0;
	const fail = msg => { throw new Error(`XML: ${msg} at offset ${i}: ${JSON.stringify(s.slice(i, i + 40))}`); };
	const decode = t => t.replace(/&(lt|gt|amp|apos|quot);|&/g, (m, e) => {
		if (!e) fail('bare &');
		return { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' }[e];
	});
	if (s.startsWith('<?xml')) {
		const e = s.indexOf('?>');
		if (e < 0) fail('unterminated declaration');
		if (!/^<\?xml version=(['"])1\.0\1 encoding=(['"])UTF-8\2\?>$/.test(s.slice(0, e + 2))) fail('unexpected declaration');
		i = e + 2;
	}
	const top = { tag: '#document', attrs: {}, kids: [], text: '' };
	const stack = [top];
	const NAME = /[A-Za-z_][\w.-]*/y;
	while (i < s.length) {
		const cur = stack[stack.length - 1];
		if (s.startsWith('<![CDATA[', i)) {
			const e = s.indexOf(']]>', i);
			if (e < 0) fail('unterminated CDATA');
			cur.text += s.slice(i + 9, e);
			cur.cdata = true;
			i = e + 3;
		} else if (s.startsWith('</', i)) {
			NAME.lastIndex = i + 2;
			const m = NAME.exec(s);
			if (!m) fail('bad end tag');
			if (m[0] !== cur.tag) fail(`</${m[0]}> closes <${cur.tag}>`);
			i = NAME.lastIndex;
			if (s[i] !== '>') fail('bad end tag');
			i++;
			stack.pop();
			if (stack.length === 1 && i < s.length) fail('content after the root element');
		} else if (s[i] === '<') {
			NAME.lastIndex = i + 1;
			const m = NAME.exec(s);
			if (!m) fail('bad start tag');
			i = NAME.lastIndex;
			const el = { tag: m[0], attrs: {}, kids: [], text: '' };
			for (;;) {
				const ws = /\s*/y; ws.lastIndex = i; ws.exec(s); i = ws.lastIndex;
				if (s[i] === '>' || s.startsWith('/>', i)) break;
				NAME.lastIndex = i;
				const a = NAME.exec(s);
				if (!a || s[NAME.lastIndex] !== '=') fail('bad attribute');
				i = NAME.lastIndex + 1;
				const q = s[i];
				if (q !== "'" && q !== '"') fail('unquoted attribute');
				const e = s.indexOf(q, i + 1);
				if (e < 0 || s.slice(i + 1, e).includes('<')) fail('bad attribute value');
				if (a[0] in el.attrs) fail(`attribute ${a[0]} twice`);
				el.attrs[a[0]] = decode(s.slice(i + 1, e));
				i = e + 1;
			}
			if (stack.length === 1 && top.kids.length) fail('a second root element');
			cur.kids.push(el);
			if (s.startsWith('/>', i)) i += 2;
			else { i++; stack.push(el); }
		} else {
			const e = s.indexOf('<', i);
			const t = s.slice(i, e < 0 ? s.length : e);
			if (stack.length === 1) { if (t.trim()) fail('text outside the root element'); }
			else cur.text += decode(t);
			i = e < 0 ? s.length : e;
		}
	}
	if (stack.length !== 1) fail(`<${stack[stack.length - 1].tag}> is not closed`);
	if (top.kids.length !== 1) fail('no root element');
	return top.kids[0];
}

let doc;
try {
	doc = parseXML(text);
} catch (e) {
	problem(e.message);
	finish();
}

const kid = (n, tag) => n.kids.find(k => k.tag === tag);
const kids = (n, tag) => n.kids.filter(k => k.tag === tag);
const only = (n, tags, where) => {
	const got = n.kids.map(k => k.tag).join(' ');
	if (got !== tags.join(' ')) problem(`${where}: <${n.tag}> holds [${got}], expected [${tags.join(' ')}]`);
};

if (doc.tag !== 'lexml' || !['6', '3'].includes(doc.attrs.version))
	problem(`the root element is <${doc.tag} version='${doc.attrs.version}'>, expected <lexml version='6'> (or 3)`);
const v6 = doc.attrs.version === '6';
if (doc.kids.length !== 1 || doc.kids[0].tag !== 'node' || doc.kids[0].attrs.type !== 'GROUP')
	problem('<lexml> must hold exactly one <node type=\'GROUP\'>');

const TYPES = ['BOX', 'BUTTON', 'LABEL', 'TEXT', 'FADER', 'XY', 'RADIAL', 'ENCODER', 'RADAR', 'RADIO', 'GROUP', 'PAGER', 'GRID'];
const VALUES = { BUTTON: ['x'], FADER: ['x'], RADIO: ['x'], LABEL: ['text'], TEXT: ['text'], GROUP: [], BOX: [] };
const nodes = [];
const ids = new Set(), names = new Map();

function prop(n, key) { return n.props.get(key); }

function checkNode(el, where, isRoot, parent) {
	const type = el.attrs.type;
	const n = { el, type, props: new Map(), values: new Map(), osc: [], children: [], where, parent };
	if (!TYPES.includes(type)) problem(`${where}: unknown control type ${type}`);
	if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(el.attrs.ID || '')) problem(`${where}: bad node ID ${el.attrs.ID}`);
	if (ids.has(el.attrs.ID)) problem(`${where}: node ID ${el.attrs.ID} used twice`);
	ids.add(el.attrs.ID);
	const order = el.kids.map(k => k.tag);
	const expect = [...(isRoot && v6 ? ['includes'] : []), 'properties', 'values'];
	if (order.slice(0, expect.length).join(' ') !== expect.join(' ') ||
		order.slice(expect.length).some((t, j, a) => !['messages', 'children'].includes(t) || a.indexOf(t) !== j))
		problem(`${where}: <node> holds [${order.join(' ')}]`);
	let last = '';
	for (const p of kids(kid(el, 'properties') || { kids: [] }, 'property')) {
		only(p, ['key', 'value'], where);
		const key = kid(p, 'key') ? kid(p, 'key').text : '';
		const v = kid(p, 'value');
		if (!v) continue;
		if (key <= last) problem(`${where}: property ${key} out of order (after ${last})`);
		last = key;
		const t = p.attrs.type;
		const nums = names => { only(v, names, `${where} ${key}`); return names.map(c => Number(kid(v, c) ? kid(v, c).text : NaN)); };
		let val;
		if (t === 'c') { val = nums(['r', 'g', 'b', 'a']); if (val.some(x => !(x >= 0 && x <= 1))) problem(`${where}: colour ${key} out of 0..1`); }
		else if (t === 'r') { val = nums(['x', 'y', 'w', 'h']); if (val.some(x => !Number.isFinite(x))) problem(`${where}: bad frame`); }
		else if (t === 'b') { val = v.text; if (val !== '0' && val !== '1') problem(`${where}: boolean ${key} is ${val}`); val = val === '1'; }
		else if (t === 'i') { val = Number(v.text); if (!Number.isInteger(val)) problem(`${where}: integer ${key} is ${v.text}`); }
		else if (t === 'f') { val = Number(v.text); if (!Number.isFinite(val)) problem(`${where}: float ${key} is ${v.text}`); }
		else if (t === 's') { val = v.text; if (v.text && !v.cdata) problem(`${where}: string ${key} is not CDATA`); }
		else problem(`${where}: property ${key} has type ${t}`);
		n.props.set(key, val);
	}
	for (const need of ['name', 'frame', 'visible', 'interactive', 'color'])
		if (!n.props.has(need)) problem(`${where}: no ${need} property`);
	n.name = n.props.get('name');
	n.where = where = `${type} '${n.name}'`;
	if (names.has(n.name)) problem(`${where}: two controls have this name`);
	names.set(n.name, n);
	for (const v of kids(kid(el, 'values') || { kids: [] }, 'value')) {
		only(v, ['key', 'locked', 'lockedDefaultCurrent', 'default', 'defaultPull'], where);
		n.values.set(kid(v, 'key') ? kid(v, 'key').text : '', kid(v, 'default') ? kid(v, 'default').text : '');
	}
	const wantValues = [...(VALUES[type] || []), 'touch'];
	if ([...n.values.keys()].join(' ') !== wantValues.join(' ')) problem(`${where}: values [${[...n.values.keys()]}], expected [${wantValues}]`);
	const msgs = kid(el, 'messages');
	if (msgs) for (const m of msgs.kids) {
		if (m.tag !== 'osc') { problem(`${where}: a <${m.tag}> message (the layout speaks OSC only)`); continue; }
		const flags = ['enabled', 'send', 'receive', 'feedback', ...(v6 ? ['noDuplicates'] : []), 'connections'];
		const tags = m.kids.map(k => k.tag);
		const want = [...flags, ...(tags.includes('triggers') ? ['triggers'] : []), 'path', 'arguments'];
		if (tags.join(' ') !== want.join(' ')) problem(`${where}: <osc> holds [${tags}]`);
		const flag = f => kid(m, f) && kid(m, f).text === '1';
		const conns = kid(m, 'connections') ? kid(m, 'connections').text : '';
		if (!new RegExp(`^[01]{${v6 ? 10 : 5}}$`).test(conns) || !conns.includes('1')) problem(`${where}: connections '${conns}'`);
		const partials = k => kids(kid(m, k) || { kids: [] }, 'partial').map(p => {
			only(p, ['type', 'conversion', 'value', 'scaleMin', 'scaleMax'], `${where} partial`);
			const f = t => (kid(p, t) ? kid(p, t).text : '');
			return { type: f('type'), conversion: f('conversion'), value: f('value'), min: Number(f('scaleMin')), max: Number(f('scaleMax')) };
		});
		const path = partials('path');
		if (!path.length || path.some(p => p.type !== 'CONSTANT'))
			problem(`${where}: an OSC address that is not a constant cannot be checked`);
		const triggers = kids(kid(m, 'triggers') || { kids: [] }, 'trigger').map(t => ({
			var: kid(t, 'var') ? kid(t, 'var').text : '', condition: kid(t, 'condition') ? kid(t, 'condition').text : '' }));
		if (flag('send') && !triggers.length) problem(`${where}: sends without a trigger`);
		const o = {
			address: path.map(p => p.value).join(''), enabled: flag('enabled'), send: flag('send'), receive: flag('receive'),
			feedback: flag('feedback'), triggers, args: partials('arguments'), control: n,
		};
		for (const a of o.args) {
			if (!['CONSTANT', 'VALUE', 'PROPERTY', 'INDEX'].includes(a.type) || !['BOOLEAN', 'INTEGER', 'FLOAT', 'STRING'].includes(a.conversion))
				problem(`${where}: argument partial ${a.type}/${a.conversion}`);
			if (a.type === 'VALUE' && !n.values.has(a.value)) problem(`${where}: argument of value '${a.value}', which this control lacks`);
		}
		if (!o.enabled) problem(`${where}: a disabled OSC message`);
		n.osc.push(o);
	}
	nodes.push(n);
	const ch = kid(el, 'children');
	if (ch) {
		if (type !== 'GROUP' && type !== 'PAGER' && type !== 'GRID') problem(`${where}: a ${type} with children`);
		for (const c of ch.kids) {
			if (c.tag !== 'node') { problem(`${where}: <children> holds <${c.tag}>`); continue; }
			n.children.push(checkNode(c, `${where} > ?`, false, n));
		}
	}
	return n;
}

const rootEl = kid(doc, 'node');
const root = rootEl ? checkNode(rootEl, 'root', true, null) : null;
if (problems.length) finish();

/* ------------------------------------------------- 2. lathe's namespace */

let registry;
try {
	registry = JSON.parse(execFileSync(args.lathe, ['params', '--json'], { encoding: 'utf8' }));
} catch (e) {
	problem(`cannot read the registry from '${args.lathe} params --json': ${e.message}`);
	finish();
}
const reg = new Map(registry.map(p => [p.path, p]));
const namespace = new Set();
const addWithNorm = p => { namespace.add(p); namespace.add(p + '/norm'); };
for (const p of registry) {
	addWithNorm(p.path);
	if (p.scope === 'chain') {
		addWithNorm('/a' + p.path);
		addWithNorm('/b' + p.path);
		for (let n = 1; n <= 16; n++) addWithNorm(`/snapshot/${n}${p.path}`);
	}
}
['/order', '/a/order', '/b/order'].forEach(p => namespace.add(p));
// The addresses osc/README.md names in code spans: actions, reported state,
// meters, /lathe/*. N is a snapshot (1..16); <module> a module the row names.
let readme;
try {
	readme = fs.readFileSync(args.readme, 'utf8');
} catch (e) {
	problem(`cannot read ${args.readme}: ${e.message}`);
	finish();
}
const documented = new Set();
for (const line of readme.split('\n')) {
	for (const span of line.match(/`[^`]+`/g) || []) {
		const tok = span.slice(1, -1).trim().split(/\s+/)[0].replace(/[^A-Za-z0-9_/<>]+$/, '');
		// one segment is prose ("/norm", "/a"): those addresses are the registry's
		if (!/^\/[a-z]/.test(tok) || tok.split('/').length < 3 || tok === '/snapshot/N') continue;
		let list = [tok];
		if (tok.includes('/N/') || tok.endsWith('/N')) {
			list = [];
			for (let n = 1; n <= 16; n++) list.push(tok.replace(/\/N(\/|$)/, `/${n}$1`));
		}
		if (tok.includes('<module>')) {
			const m = line.match(/\(([a-z]+(?:, [a-z]+)+)\)/);
			const mods = m ? m[1].split(', ') : [...new Set(registry.map(p => p.module))];
			list = list.flatMap(t => mods.map(mod => t.replace('<module>', mod)));
		}
		list.forEach(t => documented.add(t));
	}
}
documented.forEach(t => namespace.add(t));
for (const need of ['/chain/toggle', '/meter/true_peak', '/lathe/register', '/lathe/meters'])
	if (!documented.has(need)) problem(`${args.readme} does not name ${need}: is it the OSC protocol?`);

// What the layout sends and receives: its controls' OSC messages, and the
// scripts' sendOSC calls and ['/address'] tables (the root script's readouts).
const sent = new Map(), received = new Map(); // address -> [where]
const note = (map, a, where) => { if (!map.has(a)) map.set(a, []); map.get(a).push(where); };
for (const n of nodes) {
	for (const o of n.osc) {
		if (o.send) note(sent, o.address, n.where);
		if (o.receive) note(received, o.address, n.where);
	}
	const script = n.props.get('script');
	if (script) {
		for (const m of script.matchAll(/sendOSC\s*\(\s*\{?\s*'(\/[^']*)'/g)) note(sent, m[1], `${n.where} script`);
		for (const m of script.matchAll(/\[\s*'(\/[^']*)'\s*\]\s*=/g)) note(received, m[1], `${n.where} script`);
		for (const m of script.matchAll(/path\s*==\s*'(\/[^']*)'/g)) note(received, m[1], `${n.where} script`);
		if (/sendOSC\s*\(\s*\{?\s*[^'{\s]/.test(script)) problem(`${n.where}: a sendOSC whose address is not a literal cannot be checked`);
	}
}
for (const [dir, map] of [['sends', sent], ['receives', received]])
	for (const [a, where] of map)
		if (!namespace.has(a)) problem(`${where[0]} ${dir} ${a}, which is not in lathe's namespace`);

/* ------------------------------------------- 3. the controls it exists for */

// Shown: visible, and so is every group it is in.
const shown = n => !n || (n.props.get('visible') && shown(n.parent));
const bound = (address, dir) => nodes.filter(n => n.osc.some(o => o.address === address && o[dir]));
function control(address, type, { send = true, receive = true, what }) {
	const c = bound(address, send ? 'send' : 'receive').filter(n => n.type === type &&
		n.osc.some(o => o.address === address && o.send === send && o.receive === receive));
	if (!c.length) { problem(`no ${type} ${send ? 'sends' : ''}${send && receive ? ' and ' : ''}${receive ? 'receives' : ''} ${address} (${what})`); return null; }
	const n = c[0];
	if (send && !n.props.get('interactive')) problem(`${n.where} (${what}) is not interactive`);
	if (!shown(n)) problem(`${n.where} (${what}) is not visible`);
	return n;
}
const arg = (n, address) => n && n.osc.find(o => o.address === address).args[0];
const checkArg = (n, address, conversion, what) => {
	const a = arg(n, address);
	if (n && (!a || a.type !== 'VALUE' || a.value !== 'x' || a.conversion !== conversion || a.min !== 0 || a.max !== 1))
		problem(`${n.where} (${what}) does not carry x as ${conversion} 0..1 on ${address}`);
};
const scriptShows = a => received.has(a) && received.get(a).some(w => w.endsWith('script'));
const found = [];

// A/B: a momentary key sends /chain/toggle on press; /chain is fed back.
{
	const key = control('/chain/toggle', 'BUTTON', { receive: false, what: 'A/B' });
	if (key) {
		if (key.props.get('buttonType') !== 0) problem(`${key.where} (A/B) is not momentary`);
		const o = key.osc.find(x => x.address === '/chain/toggle');
		if (!o.triggers.length || o.triggers.some(t => t.var !== 'x' || t.condition !== 'RISE'))
			problem(`${key.where} (A/B) should send on press only (trigger x RISE)`);
	}
	if (!received.has('/chain')) problem('nothing shows /chain (the chain on the print)');
	found.push('A/B key on /chain/toggle, lit from /chain');
}
// Enum selects: a radio with one step per enum name.
for (const [address, what] of [['/source', 'source select'], ['/chain', 'A/B select']]) {
	const r = control(address, 'RADIO', { what });
	if (r) {
		checkArg(r, address, 'INTEGER', what);
		const steps = (reg.get(address).values || []).length;
		if (r.props.get('steps') !== steps) problem(`${r.where} (${what}) has ${r.props.get('steps')} steps, the registry ${steps}`);
		found.push(`${what}: radio of ${steps} on ${address}`);
	}
}
// Toggles on native paths.
for (const [address, what] of [['/monitor/mono', 'mono'], ['/monitor/side', 'side'], ['/monitor/dim', 'dim'],
	['/monitor/mute', 'mute'], ['/limiter/enable', 'limiter in/out']]) {
	const b = control(address, 'BUTTON', { what });
	if (b) {
		if (b.props.get('buttonType') === 0) problem(`${b.where} (${what}) is momentary, not a toggle`);
		checkArg(b, address, 'FLOAT', what);
		found.push(`${what}: toggle on ${address}`);
	}
}
// Faders on /norm, with the native value shown.
for (const [p, what] of [['/monitor/level', 'monitor level'], ['/limiter/input_gain', 'limiter input gain'],
	['/limiter/ceiling', 'limiter ceiling'], ['/input/trim', 'input trim']]) {
	const f = control(p + '/norm', 'FADER', { what });
	if (f) {
		checkArg(f, p + '/norm', 'FLOAT', what);
		if (!scriptShows(p)) problem(`the native value of ${p} (${what}) is not shown`);
		found.push(`${what}: fader on ${p}/norm, value from ${p}`);
	}
}
// Readouts.
for (const [a, what] of [['/meter/momentary', 'momentary loudness'], ['/meter/short_term', 'short-term loudness'],
	['/meter/integrated', 'integrated loudness'], ['/meter/true_peak', 'true peak']]) {
	if (!scriptShows(a)) problem(`no readout of ${a} (${what})`);
	else found.push(`${what}: readout of ${a}`);
}
// Snapshot pads: recall on press, lit by stored.
let pads = 0;
for (let n = 1; n <= 16; n++) {
	const recall = bound(`/snapshot/${n}/recall`, 'send').filter(c => c.type === 'BUTTON' && shown(c));
	const lit = bound(`/snapshot/${n}/stored`, 'receive').filter(c => c.type === 'BUTTON' && shown(c));
	if (recall.length && lit.length) {
		pads++;
		if (recall[0].props.get('buttonType') !== 0) problem(`${recall[0].where} (snapshot ${n}) is not momentary`);
		checkArg(lit[0], `/snapshot/${n}/stored`, 'FLOAT', `snapshot ${n} stored`);
	}
}
if (pads < 8) problem(`${pads} snapshot pads (recall on /snapshot/N/recall, lit by /snapshot/N/stored); at least 8 wanted`);
else found.push(`${pads} snapshot pads: /snapshot/N/recall, lit by /snapshot/N/stored`);
// Registration: the root script registers and asks for meters, again well
// within lathe's 60 s expiry.
{
	const script = root.props.get('script') || '';
	const renew = Number((script.match(/RENEW_MS\s*=\s*(\d+)/) || [])[1]);
	if (!sent.has('/lathe/register') || !sent.has('/lathe/meters')) problem('the layout neither registers (/lathe/register) nor asks for meters (/lathe/meters)');
	else if (!/function\s+update\s*\(/.test(script) || !(renew > 0 && renew <= 30000)) problem('the root script does not renew the registration every 30 s or sooner (RENEW_MS)');
	else found.push(`registers with /lathe/register and /lathe/meters, renewed every ${renew / 1000} s`);
}

if (!problems.length) {
	process.stdout.write(`touchosc_check.js: ${args.tosc}: lexml ${doc.attrs.version}, ${nodes.length} controls, ` +
		`${sent.size} addresses sent and ${received.size} received, all in lathe's namespace\n` +
		found.map(f => `  ok  ${f}\n`).join(''));
}
finish();
