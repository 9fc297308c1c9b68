// Prints every IAM policy document of template.yaml and member-account.yaml, resolved as in
// the tests (tests/iam/policies.test.cjs), as one JSON object { "<template>/<resource>/<n>": policy },
// for linters that read plain policy JSON (parliament, in scripts/validate.sh).
'use strict';

const { hubPolicies, memberPolicies } = require('./templates.cjs');

const out = {};
for (const [name, policy] of [...hubPolicies(), ...memberPolicies()]) out[name] = policy;
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
