// Send one notification to the registration tokens given on the command line with the
// fcm-v1-http2 package, unmodified, and print one JSON line: {"unregistered": [token, ...]}.
//
//   node --import "$PUSHSIM_NODE_H2_PRELOAD" fcm-v1-http2-send.mjs TITLE TOKEN...
//
// Configuration is what a deployment has: the service-account JSON from
// GOOGLE_APPLICATION_CREDENTIALS, trust from NODE_EXTRA_CA_CERTS. The package's OAuth2 token
// comes from googleapis' JWT client (gtoken), which posts to the URL it hard-codes,
// https://www.googleapis.com/oauth2/v4/token, through HTTPS_PROXY (gaxios honours it). Its HTTP/2
// session, http2.connect('https://fcm.googleapis.com'), is tunnelled by the preload.
import { readFileSync } from 'node:fs';
import Client from 'fcm-v1-http2';

const [title, ...tokens] = process.argv.slice(2);
const client = new Client({
  serviceAccount: JSON.parse(readFileSync(process.env.GOOGLE_APPLICATION_CREDENTIALS, 'utf8')),
});
const unregistered = await client.sendMulticast(
  { notification: { title, body: 'fcm-v1-http2 (Node)' } },
  tokens,
);
console.log(JSON.stringify({ unregistered }));
