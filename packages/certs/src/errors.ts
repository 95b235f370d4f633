// The certs package's error registry (STYLE #1): every code a user can see, with
// its message and the fix. Messages name the file or the value at fault; the
// hint says what to do. The CLI maps USAGE to exit code 2 and every other code
// to exit code 1 (DESIGN.md "CLI").

/** Every certs error: message (printf-style `%s`) and the hint that tells the fix. */
export const ERRORS = {
  GH_CERTS_USAGE: {
    message: '%s',
    hint: 'run `gatehouse certs --help` for the commands and their flags'
  },
  GH_CERTS_NO_SAN: {
    message: 'no SAN given',
    hint: 'name at least one host: --san example.localhost (repeat --san for more)'
  },
  GH_CERTS_INVALID_SAN: {
    message: "invalid SAN '%s': %s",
    hint: 'use a DNS name (api.example.localhost), a one-label wildcard (*.example.localhost), an IPv4/IPv6 address, an email or a URI'
  },
  GH_CERTS_INVALID_NAME_CONSTRAINT: {
    message: "invalid name constraint '%s': %s",
    hint: 'use a DNS domain (example.localhost, which also permits its subdomains) or an IP range in CIDR form (127.0.0.0/8, ::1/128)'
  },
  GH_CERTS_SAN_OUTSIDE_CONSTRAINTS: {
    message: "SAN '%s' is outside the name constraints of CA '%s' (%s)",
    hint: 'issue it from a CA whose --name-constraint covers it, or drop that SAN'
  },
  GH_CERTS_INVALID_KEY_TYPE: {
    message: "unknown key type '%s'",
    hint: 'use one of ec256 (default), ec384, rsa2048, rsa3072, rsa4096'
  },
  GH_CERTS_INVALID_DAYS: {
    message: "invalid validity '%s' days",
    hint: 'give a whole number of days between 1 and 36500'
  },
  GH_CERTS_CA_DIR_MISSING: {
    message: 'CA directory %s does not exist',
    hint: 'create one with `gatehouse certs ca --out DIR`, or point --ca at the directory holding ca.pem and ca-key.pem'
  },
  GH_CERTS_CA_FILE_MISSING: {
    message: 'CA directory %s has no %s',
    hint: 'a CA directory holds ca.pem and ca-key.pem, as written by `gatehouse certs ca --out DIR`'
  },
  GH_CERTS_NOT_A_CA: {
    message: '%s is not a CA certificate (basicConstraints CA:TRUE is missing)',
    hint: 'point --ca at a directory made by `gatehouse certs ca` or `gatehouse certs intermediate`'
  },
  GH_CERTS_PASSPHRASE_REQUIRED: {
    message: '%s is encrypted and no passphrase was given',
    hint: 'pass --passphrase-file FILE or set GATEHOUSE_CA_PASSPHRASE'
  },
  GH_CERTS_WRONG_PASSPHRASE: {
    message: 'wrong passphrase for %s',
    hint: 'check the file given to --passphrase-file or the value of GATEHOUSE_CA_PASSPHRASE'
  },
  GH_CERTS_BAD_KEY: {
    message: 'cannot read the private key in %s: %s',
    hint: 'the file must hold one PEM private key (PKCS#8, optionally encrypted, or a traditional EC/RSA key)'
  },
  GH_CERTS_UNSUPPORTED_KEY: {
    message: 'the key in %s is %s, which gatehouse cannot sign with',
    hint: 'use an EC P-256/P-384 or RSA (2048 bits or more) key'
  },
  GH_CERTS_KEY_MISMATCH: {
    message: 'the key in %s does not belong to the certificate in %s',
    hint: 'keep ca.pem and ca-key.pem from the same `gatehouse certs ca` run'
  },
  GH_CERTS_BAD_CERT: {
    message: 'no readable certificate in %s',
    hint: 'the file must hold PEM certificates (-----BEGIN CERTIFICATE-----)'
  },
  GH_CERTS_BAD_CSR: {
    message: 'cannot read the certificate request in %s: %s',
    hint: 'give a PEM CSR (-----BEGIN CERTIFICATE REQUEST-----), e.g. from `openssl req -new`'
  },
  GH_CERTS_CSR_SIGNATURE: {
    message: 'the signature of the certificate request in %s does not verify',
    hint: 'the CSR was altered after it was signed: create it again with its own private key'
  },
  GH_CERTS_FILE_EXISTS: {
    message: '%s already exists',
    hint: 'pass --force to overwrite it, or choose another --out'
  },
  GH_CERTS_FILE_READ: {
    message: 'cannot read %s: %s',
    hint: 'check the path and its permissions'
  },
  GH_CERTS_FILE_WRITE: {
    message: 'cannot write %s: %s',
    hint: 'check that the directory is writable; nothing was left half-written'
  },
  GH_CERTS_PASSPHRASE_FILE: {
    message: 'passphrase file %s %s',
    hint: 'put the passphrase on the first line of the file'
  },
  GH_CERTS_TRUST_UNSUPPORTED: {
    message: 'no trust store gatehouse knows how to update on this system (%s)',
    hint: 'supported: Debian/Ubuntu (update-ca-certificates), RHEL/Fedora (update-ca-trust), macOS (security), NSS (certutil); or import the CA by hand'
  },
  GH_CERTS_TRUST_FAILED: {
    message: '`%s` failed: %s',
    hint: 'run it by hand to see why (`--dry-run` prints every command); installing into the system store needs root'
  }
} as const

/** A certs error code. */
export type CertsErrorCode = keyof typeof ERRORS

/** The one error class of @gatehouse/certs; `code` keys into ERRORS. */
export class GatehouseError extends Error {
  readonly code: CertsErrorCode
  readonly hint: string
  constructor (code: CertsErrorCode, ...args: string[]) {
    const def = ERRORS[code]
    let i = 0
    super(def.message.replace(/%s/g, () => args[i++] ?? ''))
    this.name = 'GatehouseError'
    this.code = code
    this.hint = def.hint
  }
}
