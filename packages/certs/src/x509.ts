// The one place @peculiar/x509 is loaded: it needs the reflect-metadata
// polyfill before it evaluates, and its WebCrypto provider pointed at Node's,
// so that every key and signature is made by Node's native OpenSSL. Every
// other file imports `x509` from here, never from the package directly.
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export { x509 }
