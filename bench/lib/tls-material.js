// Certificates for a bench run, minted with the openssl binary into a temp
// directory at bench time (never committed): a throwaway root CA, an ECDSA
// P-256 leaf (bench.localhost, ec.bench.localhost — the default certificate)
// and an RSA-2048 leaf (rsa.bench.localhost), so the handshake scenario can
// compare both key types on the same listener by SNI. The many-apis scenario
// adds N wildcard leaves that share one key (the handshake cost is not what
// that scenario measures; the size of the SNI index is).
import { execFile } from 'node:child_process'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

// A config with no default extensions: `req -x509` would otherwise stamp the
// leaf with the v3_ca section of the system openssl.cnf (CA:TRUE).
const REQ_CNF = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = bench\n'

async function openssl (dir, args) {
  await run('openssl', args, { cwd: dir })
}

async function leaf (dir, cnf, keyFile, name, sans) {
  await openssl(dir, ['req', '-config', cnf, '-new', '-key', keyFile, '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=${sans.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'extendedKeyUsage=serverAuth',
    '-x509', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-days', '90', '-out', `${name}.pem`])
}

/**
 * Mints the CA and the two leaves in `dir`.
 * Returns absolute paths: { ca, ec: { cert, key, pem }, rsa: { cert, key, pem } } where
 * `pem` is cert+key in one file (HAProxy's format).
 */
export async function mintMaterial (dir) {
  const cnf = join(dir, 'req.cnf')
  writeFileSync(cnf, REQ_CNF)
  await openssl(dir, ['req', '-config', cnf, '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=Gatehouse bench CA', '-days', '90',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec-key.pem'])
  await openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa-key.pem'])
  await leaf(dir, cnf, 'ec-key.pem', 'ec', ['bench.localhost', 'ec.bench.localhost', '127.0.0.1'])
  await leaf(dir, cnf, 'rsa-key.pem', 'rsa', ['rsa.bench.localhost'])
  const out = { ca: join(dir, 'ca.pem') }
  for (const kind of ['ec', 'rsa']) {
    const cert = join(dir, `${kind}.pem`)
    const key = join(dir, `${kind}-key.pem`)
    const pem = join(dir, `${kind}-haproxy.pem`)
    writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'))
    out[kind] = { cert, key, pem }
  }
  return out
}

/** Mints `count` leaves `*.c<i>.many.bench.localhost` sharing ec-key.pem; returns [{ cert, key }]. */
export async function mintMany (dir, count, parallel = 4) {
  const cnf = join(dir, 'req.cnf')
  const out = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      await leaf(dir, cnf, 'ec-key.pem', `many-${i}`, [`*.c${i}.many.bench.localhost`])
      out[i] = { cert: join(dir, `many-${i}.pem`), key: join(dir, 'ec-key.pem') }
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return out
}
