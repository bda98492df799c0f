// Send one alert to each device token given on the command line with @parse/node-apn, and print
// the provider's result as one JSON line: {"sent": [...], "failed": [...]}.
//
//   node apn-send.mjs direct TOKEN...   address/port of the fake (APNS_URL), `ca` = PUSHSIM_CA_CERT
//   node apn-send.mjs proxy TOKEN...    Apple's sandbox host, `proxy` = HTTPS_PROXY's host/port;
//                                       trust from NODE_EXTRA_CA_CERTS (node-apn passes no `ca`
//                                       to the TLS socket it opens inside the tunnel)
//
// Credentials come from the variables `pushsim env` prints: APNS_KEY_PATH, APNS_KEY_ID,
// APNS_TEAM_ID, APNS_TOPIC.
import { readFileSync } from 'node:fs';
import apn from '@parse/node-apn';

const [mode, ...tokens] = process.argv.slice(2);
const env = process.env;

const options = {
  token: { key: env.APNS_KEY_PATH, keyId: env.APNS_KEY_ID, teamId: env.APNS_TEAM_ID },
  production: false,
  connectionRetryLimit: 1,
};
if (mode === 'direct') {
  const fake = new URL(env.APNS_URL);
  options.address = fake.hostname;
  options.port = Number(fake.port);
  options.ca = readFileSync(env.PUSHSIM_CA_CERT);
} else if (mode === 'proxy') {
  const proxy = new URL(env.HTTPS_PROXY);
  options.proxy = { host: proxy.hostname, port: Number(proxy.port) };
} else {
  throw new Error(`unknown mode ${mode}: use direct or proxy`);
}

const provider = new apn.Provider(options);
const note = new apn.Notification({
  alert: { title: 'Hello', body: `node-apn ${mode}` },
  topic: env.APNS_TOPIC,
  pushType: 'alert',
});
try {
  const result = await provider.send(note, tokens);
  console.log(JSON.stringify({
    sent: result.sent,
    failed: result.failed.map((f) => ({
      device: f.device,
      status: f.status,
      reason: f.response?.reason,
      error: f.error ? String(f.error) : undefined,
    })),
  }));
} finally {
  await provider.shutdown();
}
