// A fleet's approval between waves (issue 20): the fleet state machine answers its own wait (an
// approve or reject execution): it may take the token off the fleet's item in the lock table,
// read it when nothing was taken, and SendTaskSuccess; nothing more on the table or tokens.
// Rows evaluated with the real IAM evaluator over the template.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { HUB, REGION, decideForMachine } = require('./templates.cjs');

const A = 'Allowed';
const D = 'denied';
const TABLE = `arn:aws:dynamodb:${REGION}:${HUB}:table/hub-LockTable`;

const decide = (action, resource) => decideForMachine('FleetStateMachine', action, resource);

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
