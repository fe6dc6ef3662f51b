// Verifies sync tokens the way the PowerSync service does, knowing nothing but
// the JWKS URL: jose's createRemoteJWKSet (keys fetched over HTTP, chosen by
// kid; keys whose `use` is not "sig" are ignored) and jwtVerify with the
// audience, the algorithms PowerSync accepts for asymmetric keys, the claims
// it requires, its 60 s clock tolerance, a maximum token age, and its own
// check that exp - iat stays within the maximum lifetime (a day by default).
//
//   echo '{"jwks": URL, "audience": AUD, "tokens": [...], "maxAge": 3600,
//          "maxLifetime": 86400, "at": UNIX_SECONDS}' | node verify-tokens.mjs
//
// Prints one JSON line: a list with, per token, {"ok": true, "header", "payload"}
// or {"ok": false, "code", "message"}. "at" verifies as of another time.
import { createRemoteJWKSet, jwtVerify } from "jose";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const { jwks, audience, tokens } = request;
const maxAge = request.maxAge ?? 3600;
const maxLifetime = request.maxLifetime ?? 86400;
const currentDate = request.at ? new Date(request.at * 1000) : undefined;

const keySet = createRemoteJWKSet(new URL(jwks));

async function verify(token) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keySet, {
      audience,
      algorithms: ["RS256", "ES256", "EdDSA"],
      requiredClaims: ["sub", "iat", "exp", "aud"],
      clockTolerance: 60,
      maxTokenAge: maxAge,
      currentDate,
    });
    if (payload.exp - payload.iat > maxLifetime) {
      return {
        ok: false,
        code: "ERR_TOKEN_LIFETIME",
        message: `token must expire in at most ${maxLifetime}s, got ${payload.exp - payload.iat}s`,
      };
    }
    return { ok: true, header: protectedHeader, payload };
  } catch (error) {
    return { ok: false, code: error.code ?? error.name, message: error.message };
  }
}

const results = [];
for (const token of tokens) results.push(await verify(token));
console.log(JSON.stringify(results));
