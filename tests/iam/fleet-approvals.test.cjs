// A fleet's approval between waves (issue 20): the fleet state machine answers its own wait (an
// approve or reject execution): it may take the token off the fleet's item in the lock table,
// read it when nothing was taken, and SendTaskSuccess; nothing more on the table or tokens.
// Rows evaluated with the real IAM evaluator over the template.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const { runSimulation } = createRequire(path.join(__dirname, '..', 'tools', 'package.json'))(
  '@cloud-copilot/iam-simulate',
);
const { HUB, REGION, hubRole, hubTemplate, hub } = require('./templates.cjs');

const A = 'Allowed';
const D = 'denied';
const TABLE = `arn:aws:dynamodb:${REGION}:${HUB}:table/hub-LockTable`;

async function decide(action, resource) {
  const identityPolicies = hubTemplate.Resources.FleetStateMachine.Properties.Policies
    .map((p, i) => ({ name: `FleetStateMachine-${i}`, policy: { Version: '2012-10-17', ...hub.resolve(p) } }));
  const out = await runSimulation(
    {
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal: hubRole('FleetStateMachine'), resource: { accountId: HUB, resource }, contextVariables: {} },
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(out.errors)}`);
  return out.overallResult;
}

for (const [action, resource, expected] of [
  ['dynamodb:UpdateItem', TABLE, A],
  ['dynamodb:GetItem', TABLE, A],
  ['dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${HUB}:table/other`, D],
  ['dynamodb:PutItem', TABLE, D],
  ['dynamodb:DeleteItem', TABLE, D],
  ['dynamodb:Scan', TABLE, D],
  // SendTaskSuccess has no resource type: "*" is IAM's only scope for it.
  ['states:SendTaskSuccess', '*', A],
  ['states:SendTaskFailure', '*', D],
  ['states:SendTaskHeartbeat', '*', D],
]) {
  test(`the fleet machine answering a wave's approval: ${action} on ${resource} is ${expected}`, async () => {
    const result = await decide(action, resource);
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}
