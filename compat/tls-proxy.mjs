// TLS in front of Tessera, as a production deployment has it: Auth0's SDKs are configured with a
// domain and speak https to it. Usage: node tls-proxy.mjs LISTEN_PORT UPSTREAM_PORT CERT KEY
// (both on 127.0.0.1). Requests and responses pass through unchanged.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [listenPort, upstreamPort, cert, key] = process.argv.slice(2);

const server = https.createServer(
  { cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: Number(upstreamPort),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`tls-proxy: ${error.message}\n`);
    });
    req.pipe(upstream);
  },
);
server.listen(Number(listenPort), '127.0.0.1');
