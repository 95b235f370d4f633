#!/usr/bin/env node
// `node packages/certs/dist/bin.js …` = `gatehouse certs …`, as its own process.
import { certsCli } from './cli.js'

process.exitCode = await certsCli(process.argv.slice(2))
