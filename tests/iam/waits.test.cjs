// Waits that listen (issue 20): who may touch a waiting token and the hub's event bus.
// Rows evaluated with the real IAM evaluator over the templates' own documents.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const { runSimulation } = createRequire(path.join(__dirname, '..', 'tools', 'package.json'))(
  '@cloud-copilot/iam-simulate',
);
const { HUB, MEMBER, OUTSIDE, REGION, hubRole, hubTemplate, hub, member, memberTemplate } = require('./templates.cjs');

const A = 'Allowed';
const D = 'denied';
const TABLE = `arn:aws:dynamodb:${REGION}:${HUB}:table/hub-LockTable`;
const HUB_BUS = `arn:aws:events:${REGION}:${HUB}:event-bus/default`;

async function decide({ principal, identityPolicies, action, resource, account, context = {}, resourcePolicy }) {
  const out = await runSimulation(
    {
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
      request: { action, principal, resource: { accountId: account, resource }, contextVariables: context },
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(out.errors)}`);
  return out.overallResult;
}

function expect(result, expected) {
  if (expected === A) assert.equal(result, A);
  else assert.notEqual(result, A);
}

// ---------------------------------------------------------------- the wake machine
const wakePolicies = () => hubTemplate.Resources.WakeStateMachine.Properties.Policies
  .map((p, i) => ({ name: `WakeStateMachine-${i}`, policy: { Version: '2012-10-17', ...hub.resolve(p) } }));
for (const [action, resource, expected] of [
  // It finds a wait by Query on the index keyed for it (a Scan reads one 1 MB page).
  ['dynamodb:Query', `${TABLE}/index/byWakeKey`, A],
  ['dynamodb:Query', `${TABLE}/index/byHolder`, D],
  ['dynamodb:Query', TABLE, D],
  ['dynamodb:Scan', TABLE, D],
  ['dynamodb:Scan', `${TABLE}/index/byWakeKey`, D],
  ['dynamodb:UpdateItem', TABLE, A],
  ['dynamodb:DeleteItem', TABLE, D],
  ['dynamodb:PutItem', TABLE, D],
  ['dynamodb:UpdateItem', `arn:aws:dynamodb:${REGION}:${HUB}:table/other`, D],
  // SendTaskSuccess has no resource type: "*" is IAM's only scope for it.
  ['states:SendTaskSuccess', '*', A],
  ['states:SendTaskFailure', '*', D],
  ['states:StartExecution', `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-bluegreen`, D],
  ['lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${HUB}:function:hub-PollStatusFunction`, D],
  ['rds:DescribeDBClusters', '*', D],
]) {
  test(`the wake machine: ${action} on ${resource} is ${expected}`, async () => {
    expect(await decide({ principal: hubRole('WakeStateMachine'), identityPolicies: wakePolicies(), action, resource, account: HUB }), expected);
  });
}

// ---------------------------------------------------------------- poll-status stores a token (LockWriterPolicy)
const lockWriter = hubTemplate.Resources.LockWriterPolicy.Properties;
test('poll-status is one of the lock writers', () => {
  assert.ok(lockWriter.Roles.some((r) => r.Ref === 'PollStatusFunctionRole'));
});
for (const [action, expected] of [['dynamodb:UpdateItem', A], ['dynamodb:DeleteItem', D], ['dynamodb:PutItem', D], ['dynamodb:Scan', D]]) {
  test(`a lock writer (poll-status's wait): ${action} on the lock table is ${expected}`, async () => {
    const policy = { name: 'LockWriterPolicy', policy: hub.resolve(lockWriter.PolicyDocument) };
    expect(await decide({ principal: hubRole('PollStatusFunction'), identityPolicies: [policy], action, resource: TABLE, account: HUB }), expected);
  });
}

// ---------------------------------------------------------------- the hub bus: only listed accounts, only RDS's events
const busPolicy = () => {
  const props = hub.resolve(hubTemplate.Resources.RdsEventsFromMembersPolicy.Properties);
  return { Version: '2012-10-17', Statement: [{ Sid: props.StatementId, ...props.Statement }] };
};
const forwardRole = `arn:aws:iam::${MEMBER}:role/rds-bluegreen-rds-events-${REGION}`;
const putAnywhere = [{ name: 'broad', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }] } }];
for (const [who, principal, source, expected] of [
  ['a listed member account', forwardRole, 'aws.rds', A],
  ['a listed member account, not as RDS', forwardRole, 'my.app', D],
  ['an account not listed', `arn:aws:iam::${OUTSIDE}:role/rds-bluegreen-rds-events-${REGION}`, 'aws.rds', D],
]) {
  test(`the hub bus: PutEvents from ${who} is ${expected}`, async () => {
    expect(await decide({
      principal, identityPolicies: putAnywhere, action: 'events:PutEvents', resource: HUB_BUS, account: HUB,
      context: { 'events:source': [source] }, resourcePolicy: busPolicy(),
    }), expected);
  });
}

// ---------------------------------------------------------------- the member's forwarding role
const forwardPolicies = () => memberTemplate.Resources.RdsEventForwardRole.Properties.Policies
  .map((p) => ({ name: p.PolicyName, policy: member.resolve(p.PolicyDocument) }));
for (const [resource, expected] of [
  [HUB_BUS, A],
  [`arn:aws:events:${REGION}:${OUTSIDE}:event-bus/default`, D],
  [`arn:aws:events:${REGION}:${MEMBER}:event-bus/default`, D],
]) {
  test(`the member's forwarding role: PutEvents on ${resource} is ${expected}`, async () => {
    expect(await decide({ principal: forwardRole, identityPolicies: forwardPolicies(), action: 'events:PutEvents', resource, account: MEMBER }), expected);
  });
}

test('only EventBridge of the member account itself may assume the forwarding role', () => {
  const trust = member.resolve(memberTemplate.Resources.RdsEventForwardRole.Properties.AssumeRolePolicyDocument).Statement;
  assert.deepEqual(trust.map((s) => s.Principal.Service), ['events.amazonaws.com']);
  assert.equal(trust[0].Condition.StringEquals['aws:SourceAccount'], MEMBER);
});
