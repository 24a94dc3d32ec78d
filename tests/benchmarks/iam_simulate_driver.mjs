// Runs batch-contract lines (docs/contracts/batch-simulation.md) through @cloud-copilot/iam-simulate (AGPL-3.0),
// installed by bench_simulate.py outside the repository and run as an outside program.
// Usage: node driver.mjs corpus.jsonl NODE_MODULES_DIR [safe|unsafe]
// "unsafe" is runUnsafeSimulation, its fastest mode (no input validation), the one its own
// CLI tools use; "safe" is runSimulation, which validates every request first.
// Prints one JSON line: {"seconds": <evaluation loop time>, "decisions": [...],
// "maxrss_kb": <its own peak resident memory>}.
// The identity policy allows everything, so the decision is the SCPs' and RCPs' alone
// (the corpora hold no KMS request, which would also need a key policy).
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const [, , corpusPath, modules, mode = 'unsafe'] = process.argv
const entry = join(modules, '@cloud-copilot', 'iam-simulate', 'dist', 'esm', 'index.js')
const lib = await import(pathToFileURL(entry).href)
const simulate = mode === 'safe' ? lib.runSimulation : lib.runUnsafeSimulation

const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
const levels = (raw, field) =>
  (raw || []).map((level, i) => ({
    orgIdentifier: i === 0 ? 'r-root' : `ou-level-${i}`,
    policies: level.map((p, j) => ({ name: `${field}[${i}][${j}]`, policy: typeof p === 'string' ? JSON.parse(p) : p })),
  }))

const cases = readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
const decisions = []
const start = process.hrtime.bigint()
for (const c of cases) {
  const r = c.request
  const principal = r.principal || 'arn:aws:iam::111122223333:role/Dev'
  const simulation = {
    request: {
      principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.account || principal.split(':')[4] },
      contextVariables: r.context || {},
    },
    identityPolicies: [{ name: 'allow-all', policy: allowAll }],
    serviceControlPolicies: levels(c.scps, 'scps'),
    resourceControlPolicies: levels(c.rcps, 'rcps'),
  }
  // runSimulation answers {resultType, overallResult}; runUnsafeSimulation the result alone.
  const result = await simulate(simulation, {})
  if (result.resultType === 'error') decisions.push('error')
  else {
    const outcome = typeof result === 'string' ? result : result.overallResult
    decisions.push(outcome === 'Allowed' ? 'allow' : 'deny')
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9
// Peak memory since exec (VmHWM): getrusage's maxRSS would include the parent's size.
const hwm = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)/)
console.log(JSON.stringify({ seconds, decisions, maxrss_kb: Number(hwm[1]) }))
