// Send one notification to each registration token given on the command line with
// firebase-admin (Node) and print one JSON line:
// [{"messageId": ...} | {"error": "messaging/registration-token-not-registered"}, ...].
//
//   node --import "$PUSHSIM_NODE_H2_PRELOAD" fcm-send.mjs each TOKEN...   sendEach(): HTTP/2
//   node fcm-send.mjs send TOKEN...                                       send(): HTTP/1.1
//
// Configuration is what a deployment has: cert(GOOGLE_APPLICATION_CREDENTIALS), the project id
// FCM_PROJECT_ID, trust from NODE_EXTRA_CA_CERTS. The OAuth2 token request (google-auth-library,
// gaxios) honours HTTPS_PROXY by itself. The HTTP/2 session of sendEach() does not: the preload
// pushsim ships makes http2.connect() tunnel through HTTPS_PROXY. send() uses https.request with
// the app's `httpAgent` option, given an HttpsProxyAgent for HTTPS_PROXY.
import { cert, deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import { HttpsProxyAgent } from 'https-proxy-agent';

const [mode, ...tokens] = process.argv.slice(2);
const options = {
  credential: cert(process.env.GOOGLE_APPLICATION_CREDENTIALS),
  projectId: process.env.FCM_PROJECT_ID,
};
if (mode === 'send') options.httpAgent = new HttpsProxyAgent(process.env.HTTPS_PROXY);
else if (mode !== 'each') throw new Error(`unknown mode ${mode}: use each or send`);

const app = initializeApp(options);
const messages = tokens.map((token) => ({
  token,
  notification: { title: 'Hello', body: `firebase-admin (Node) ${mode}` },
}));
const outcome = (response) => (response.success
  ? { messageId: response.messageId }
  : { error: response.error.code, message: response.error.message });
try {
  let responses;
  if (mode === 'each') {
    responses = (await getMessaging(app).sendEach(messages)).responses;
  } else {
    responses = [];
    for (const message of messages) {
      try {
        responses.push({ success: true, messageId: await getMessaging(app).send(message) });
      } catch (error) {
        responses.push({ success: false, error });
      }
    }
  }
  console.log(JSON.stringify(responses.map(outcome)));
} finally {
  await deleteApp(app);
}
