// Preload (`node --import "$PUSHSIM_NODE_H2_PRELOAD" app.js`, or the same `--import` in
// NODE_OPTIONS; `pushsim env` prints where this file is) that makes node:http2 honour HTTPS_PROXY and
// NO_PROXY, as curl, requests, httpx and gaxios do. Node's http2.connect() has no proxy support;
// this wraps it so that, for a host the proxy should carry, the session is opened over a
// `CONNECT host:port` tunnel through the proxy, with TLS (SNI and certificate check against the
// real host name) inside the tunnel. Nothing else changes: callers pass the URL they always do.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';

const originalConnect = http2.connect;

function proxyFor(url) {
  const proxy = process.env.HTTPS_PROXY ?? process.env.https_proxy;
  if (!proxy || url.protocol !== 'https:') return null;
  const noProxy = (process.env.NO_PROXY ?? process.env.no_proxy ?? '')
    .split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  const host = url.hostname.toLowerCase();
  const bypass = noProxy.some((entry) => entry === '*' || host === entry.replace(/^\./, '')
    || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`));
  return bypass ? null : new URL(proxy);
}

// A byte stream through the proxy: writes wait until the proxy has answered 200 to CONNECT, and
// the answer's head is stripped before anything is handed to TLS.
class ConnectTunnel extends Duplex {
  constructor(proxy, host, port) {
    super();
    this.pending = [];
    this.open = false;
    this.socket = net.connect(Number(proxy.port) || 80, proxy.hostname);
    this.socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
    let head = Buffer.alloc(0);
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.socket.off('data', onHead);
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 200/.test(status)) {
        this.destroy(new Error(`proxy ${proxy.host} refused CONNECT ${host}:${port}: ${status}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length > 0) this.push(rest);
      this.socket.on('data', (data) => { if (!this.push(data)) this.socket.pause(); });
      this.socket.on('end', () => this.push(null));
      this.open = true;
      for (const [data, encoding, done] of this.pending.splice(0)) this.socket.write(data, encoding, done);
    };
    this.socket.on('data', onHead);
    this.socket.on('error', (error) => this.destroy(error));
    this.socket.on('close', () => this.destroy());
  }

  _read() {
    if (this.open) this.socket.resume();
  }

  _write(data, encoding, done) {
    if (this.open) this.socket.write(data, encoding, done);
    else this.pending.push([data, encoding, done]);
  }

  _final(done) {
    this.socket.end(done);
  }

  _destroy(error, done) {
    this.socket.destroy();
    done(error);
  }
}

http2.connect = function connect(authority, options, listener) {
  if (typeof options === 'function') {
    listener = options;
    options = undefined;
  }
  const url = typeof authority === 'string' ? new URL(authority) : new URL(authority.href ?? `https://${authority.host}`);
  const proxy = proxyFor(url);
  if (proxy === null || options?.createConnection) {
    return originalConnect.call(this, authority, options, listener);
  }
  const port = Number(url.port) || 443;
  const createConnection = () => tls.connect({
    ...options,
    socket: new ConnectTunnel(proxy, url.hostname, port),
    servername: url.hostname,
    ALPNProtocols: options?.ALPNProtocols ?? ['h2'],
  });
  return originalConnect.call(this, authority, { ...options, createConnection }, listener);
};
