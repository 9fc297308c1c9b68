// Approvals (issue 20): the per-database state machine answers an approval wait itself (an
// approve or reject execution): it may take the token off the lock item and SendTaskSuccess,
// and nothing more than that. Rows evaluated with the real IAM evaluator over the template.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { HUB, REGION, decideForMachine } = require('./templates.cjs');

const A = 'Allowed';
const D = 'denied';
const TABLE = `arn:aws:dynamodb:${REGION}:${HUB}:table/hub-LockTable`;

const decide = (action, resource) => decideForMachine('StateMachine', action, resource);

for (const [action, resource, expected] of [
  ['dynamodb:UpdateItem', TABLE, A],
  ['dynamodb:GetItem', TABLE, A],
  ['dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${HUB}:table/other`, D],
  ['dynamodb:Scan', TABLE, D],
  // SendTaskSuccess has no resource type: "*" is IAM's only scope for it.
  ['states:SendTaskSuccess', '*', A],
  ['states:SendTaskFailure', '*', D],
  ['states:SendTaskHeartbeat', '*', D],
]) {
  test(`the per-database machine answering an approval: ${action} on ${resource} is ${expected}`, async () => {
    const result = await decide(action, resource);
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}
