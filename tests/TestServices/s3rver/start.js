// Starts @20minutes/s3rver, which has no bin file. Started by ../Start-TestServices.ps1 as
//   node start.js [--log <file>] --directory <dir> --address 127.0.0.1 --port <n> --allow-mismatched-signatures
// with NODE_OPTIONS=--openssl-legacy-provider. Every other argument goes to the s3rver CLI.
// --log <file>: all stdout/stderr output goes to that file, so the server never writes to the pipes of
// the process that started it (which may have exited long ago).
const fs = require('node:fs')

const argv = process.argv.slice()
const logIdx = argv.indexOf('--log')
if (logIdx >= 0) {
  const fd = fs.openSync(argv[logIdx + 1], 'a')
  argv.splice(logIdx, 2)
  const write = (chunk, encoding, cb) => {
    fs.writeSync(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk))
    const done = typeof encoding === 'function' ? encoding : cb
    if (typeof done === 'function') done()
    return true
  }
  process.stdout.write = write
  process.stderr.write = write
}

require('@20minutes/s3rver/lib/cli')
  .parseAsync(argv)
  .catch((err) => {
    console.error(err && err.stack ? err.stack : err)
    process.exit(1)
  })
