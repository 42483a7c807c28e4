#!/usr/bin/env node
// lathe tests — an OSC control surface built on the npm package `osc`
// (osc.js, an OSC implementation independent of liblo, which lathe uses).
// tests/test_osc.c runs it as a child process:
//
//   node tests/osc/surface.js --to PORT [--host ADDR] [--listen PORT] [--bind ADDR]
//
// It opens one UDP socket (--listen: its port, default 0 = any; --bind: its
// address, default 0.0.0.0), sends every message read from stdin to
// ADDR:PORT (default 127.0.0.1) from that socket, and prints every message
// it receives on it, bundles unpacked, nested ones too. stdout, one line
// each, tab-separated:
//
//   ready PORT                       the socket is open on PORT
//   msg T ADDRESS TYPES ARG...       a message received
//   sent T ADDRESS                   a message sent (after the send completed)
//   bundle T                         a bundle received (its messages follow)
//   error TEXT                       a line it could not send, a bad packet
//
// T is the monotonic clock (CLOCK_MONOTONIC, as the C tests' rig_now())
// in microseconds. Numbers are printed as JavaScript does (a float32 arrives
// as the double of the same value, printed shortest: it reads back exactly);
// strings with tab, newline and backslash escaped as \t \n \\; T and F as 1
// and 0; a blob as its length in bytes.
//
// stdin: one JSON object per line,
//   {"address": "/a/eq/3/gain", "args": [{"type": "f", "value": -3.5}]}
// types as in OSC: f d i h s T F N I b. For f and d, "NaN", "Infinity" and
// "-Infinity" as strings stand for those values (JSON has none); h takes a
// number; b an array of byte values. Or {"quit": true}.
"use strict";

const osc = require("osc");
const readline = require("readline");

function usage(msg) {
    process.stderr.write("surface.js: " + msg + "\n");
    process.exit(2);
}

const opts = { host: "127.0.0.1", to: 0, listen: 0, bind: "0.0.0.0" };
for (let i = 2; i < process.argv.length; i += 2) {
    const key = process.argv[i].replace(/^--/, ""), value = process.argv[i + 1];
    if (!(key in opts) || value === undefined)
        usage("unknown option or missing value: " + process.argv[i]);
    opts[key] = key === "host" || key === "bind" ? value : Number(value);
}
if (!opts.to)
    usage("--to PORT is required");

const now = () => (process.hrtime.bigint() / 1000n).toString();
const out = (line) => process.stdout.write(line + "\n");
const escape = (s) => String(s).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");

function printArg(a) {
    switch (a.type) {
    case "T": return "1";
    case "F": return "0";
    case "N": return "nil";
    case "I": return "inf";
    case "b": return String(a.value.length);
    case "h": return a.value.toString();
    case "s": case "S": return escape(a.value);
    default: return escape(a.value);
    }
}

// A JSON argument as osc.js wants it (metadata form: {type, value}).
function toArg(a) {
    let v = a.value;
    if ((a.type === "f" || a.type === "d") && typeof v === "string")
        v = Number(v); // "NaN", "Infinity", "-Infinity"
    if (a.type === "h")
        v = osc.Long.fromNumber(v);
    if (a.type === "b")
        v = Uint8Array.from(v);
    if (a.type === "T" || a.type === "F" || a.type === "N" || a.type === "I")
        v = a.type !== "F";
    return { type: a.type, value: v };
}

const port = new osc.UDPPort({
    localAddress: opts.bind,
    localPort: opts.listen,
    remoteAddress: opts.host,
    remotePort: opts.to,
    metadata: true, // arguments with their type tags, both ways
});

port.on("ready", () => {
    out("ready\t" + port.socket.address().port);
    const rl = readline.createInterface({ input: process.stdin });
    rl.on("line", (line) => {
        if (!line.trim())
            return;
        let m;
        try {
            m = JSON.parse(line);
        } catch (e) {
            out("error\tnot JSON: " + escape(line));
            return;
        }
        if (m.quit) {
            port.close();
            process.exit(0);
        }
        try {
            port.send({ address: m.address, args: (m.args || []).map(toArg) });
            out("sent\t" + now() + "\t" + m.address);
        } catch (e) {
            out("error\t" + escape(e.message));
        }
    });
    // The test ends us with SIGTERM; the end of stdin is no reason to go.
});

port.on("bundle", () => out("bundle\t" + now()));
port.on("message", (m) => {
    const args = m.args || [];
    out(["msg", now(), m.address, args.map((a) => a.type).join("")]
        .concat(args.map(printArg)).join("\t"));
});
port.on("error", (e) => out("error\t" + escape(e.message)));
port.open();
