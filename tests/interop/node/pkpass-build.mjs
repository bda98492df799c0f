// Build a .pkpass with passkit-generator, unmodified: pass.json and icon from argv, signed with
// the Pass Type ID certificate, its key and the WWDR intermediate given as PEM files.
// Usage: node pkpass-build.mjs <pass.json> <icon.png> <cert.pem> <key.pem> <wwdr.pem> <out>
import fs from "node:fs";
import { PKPass } from "passkit-generator";

const [passJson, icon, cert, key, wwdr, out] = process.argv.slice(2);
const pass = new PKPass(
  { "pass.json": fs.readFileSync(passJson), "icon.png": fs.readFileSync(icon) },
  {
    wwdr: fs.readFileSync(wwdr),
    signerCert: fs.readFileSync(cert),
    signerKey: fs.readFileSync(key),
  },
);
fs.writeFileSync(out, pass.getAsBuffer());
console.log(JSON.stringify({ ok: true, bytes: fs.statSync(out).size }));
