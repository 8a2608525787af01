// bun_echo.js: Bun's built-in WebSocket server (uWebSockets underneath) as an echo peer.
//
//   bun harness/bench/peers/bun_echo.js --host H --port P
//
// CLI contract (shared with wsalloc-server and the other peers): --port 0 picks a free port; prints
// exactly one line `listening on H:P` when ready; on SIGINT/SIGTERM closes every connection and
// exits 0; a bad flag is reported on stderr and exits 2.
//
// Settings chosen to match wsalloc's server, so the comparison is like for like: no compression
// unless --deflate (then uWebSockets' own permessage-deflate: a dedicated zlib stream per
// connection and direction, or uWS's per-thread shared one for a direction without context
// takeover, --deflate-server-no-context-takeover / --deflate-client-no-context-takeover), 16 MiB max message (wsalloc's default), no idle timeout and no automatic pings (wsload's runs are
// silent for longer than Bun's 120 s default only in soak tests, but pings would add traffic), and
// every echo sent with the opcode it arrived with (Bun hands text as a string, binary as a Buffer).
//
// /broadcast (the broadcast scenario; wsalloc-server's route): a connection upgraded on /broadcast
// subscribes to one topic, and its messages are published there with ws.publish, uWebSockets' own
// publish/subscribe, which sends to every subscriber but the sender. A connection with more than
// 16 MiB unsent is closed (backpressureLimit + closeOnBackpressureLimit), as wsalloc-server closes
// a slow consumer past its --max-backlog default; uWS's default would drop its messages silently
// instead. Every other path echoes.
"use strict";

const kExitUsage = 2;
const kMaxMessage = 16 * 1024 * 1024;
const kMaxBacklog = 16 * 1024 * 1024;  // wsalloc-server's --max-backlog default
const kBroadcastPath = "/broadcast";
const kTopic = "broadcast";

function parseArgs(argv) {
  const opts = { host: "127.0.0.1", port: 0, deflate: false, serverNoTakeover: false, clientNoTakeover: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--host" && value !== undefined) { opts.host = value; i++; continue; }
    if (flag === "--port" && value !== undefined && /^\d+$/.test(value) && Number(value) <= 65535) {
      opts.port = Number(value); i++; continue;
    }
    if (flag === "--threads" && value !== undefined) { i++; continue; }  // Bun serves on one thread
    if (flag === "--deflate") { opts.deflate = true; continue; }
    if (flag === "--deflate-server-no-context-takeover") { opts.serverNoTakeover = true; continue; }
    if (flag === "--deflate-client-no-context-takeover") { opts.clientNoTakeover = true; continue; }
    if (flag === "--help" || flag === "-h") {
      console.log("usage: bun bun_echo.js [--host H] [--port P] [--deflate [--deflate-server-no-context-takeover]\n" +
                  "       [--deflate-client-no-context-takeover]]   (--port 0 picks a free port)");
      process.exit(0);
    }
    console.error(`bun_echo: bad argument '${flag}'${value !== undefined ? ` '${value}'` : ""}` +
                  " (expected --host H, --port 0..65535)");
    process.exit(kExitUsage);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
if ((opts.serverNoTakeover || opts.clientNoTakeover) && !opts.deflate) {
  console.error("bun_echo: --deflate-*-no-context-takeover needs --deflate");
  process.exit(kExitUsage);
}
// "shared": uWS's one compressor (or decompressor) per thread, no context kept between messages.
const perMessageDeflate = opts.deflate
  ? { compress: opts.serverNoTakeover ? "shared" : "dedicated", decompress: opts.clientNoTakeover ? "shared" : "dedicated" }
  : false;

const server = Bun.serve({
  hostname: opts.host,
  port: opts.port,
  fetch(req, srv) {
    const broadcast = new URL(req.url).pathname === kBroadcastPath;
    if (srv.upgrade(req, { data: { broadcast } })) return undefined;
    return new Response("WebSocket echo only\n", { status: 426, headers: { "Sec-WebSocket-Version": "13" } });
  },
  websocket: {
    maxPayloadLength: kMaxMessage,
    perMessageDeflate,
    idleTimeout: 0,
    backpressureLimit: kMaxBacklog,
    closeOnBackpressureLimit: true,
    sendPings: false,
    // Bun compresses a send only when asked (the second argument), even on a connection that agreed.
    open(ws) { if (ws.data.broadcast) ws.subscribe(kTopic); },
    message(ws, message) {
      if (ws.data.broadcast) ws.publish(kTopic, message, opts.deflate);
      else ws.send(message, opts.deflate);
    },
  },
});

console.log(`listening on ${opts.host}:${server.port}`);

function shutdown() {
  server.stop(true);  // true: close active connections now
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
