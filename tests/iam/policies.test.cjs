// The IAM boundaries, proven by evaluating the templates' own policy documents with a real IAM
// evaluator (@cloud-copilot/iam-simulate: resource ARNs, condition keys, cross-account trust).
// moto cannot prove these: its IAM enforcement checks actions only.
//
// One row per (who, action, resource, tags/context) -> Allowed or denied. Run: node --test tests/iam/
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const { runSimulation } = createRequire(path.join(__dirname, '..', 'tools', 'package.json'))(
  '@cloud-copilot/iam-simulate',
);

const {
  HUB, MEMBER, REGION, EXTERNAL_ID, ENROLLED, OTHER_ORG_ROLE, MEMBER_ROLE, hubRole, rds, hubTemplate, hub, hubFunctionPolicies, memberTemplate, member, memberResolver, memberRoleName, memberRoleArn, memberRolePolicies,
} = require('./templates.cjs');

// ---------------------------------------------------------------- evaluation
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

const tags = (enrolled) => (enrolled === undefined ? {} : { [`aws:ResourceTag/${ENROLLED}`]: enrolled });

// Who acts: a hub function in the hub account (single-account mode), or a member role.
const WHO = {
  'hub precheck': { principal: hubRole('PrecheckFunction'), policies: () => hubFunctionPolicies('PrecheckFunction'), account: HUB },
  'hub poll-status': { principal: hubRole('PollStatusFunction'), policies: () => hubFunctionPolicies('PollStatusFunction'), account: HUB },
  'hub create': { principal: hubRole('CreateFunction'), policies: () => hubFunctionPolicies('CreateFunction'), account: HUB },
  'hub switchover': { principal: hubRole('SwitchoverFunction'), policies: () => hubFunctionPolicies('SwitchoverFunction'), account: HUB },
  'hub delete-old': { principal: hubRole('DeleteOldFunction'), policies: () => hubFunctionPolicies('DeleteOldFunction'), account: HUB },
  'hub notify': { principal: hubRole('NotifyFunction'), policies: () => hubFunctionPolicies('NotifyFunction'), account: HUB },
  'member read': { principal: `arn:aws:sts::${MEMBER}:assumed-role/${memberRoleName('read')}/s`, policies: () => memberRolePolicies('read'), account: MEMBER },
  'member change': { principal: `arn:aws:sts::${MEMBER}:assumed-role/${memberRoleName('change')}/s`, policies: () => memberRolePolicies('change'), account: MEMBER },
  'member delete': { principal: `arn:aws:sts::${MEMBER}:assumed-role/${memberRoleName('delete')}/s`, policies: () => memberRolePolicies('delete'), account: MEMBER },
};

const A = 'Allowed';
const D = 'denied';

// [who, action, resource type, resource name, enrolled tag (undefined = none), expected, extra context]
const RDS_ROWS = [];
for (const side of ['hub', 'member']) {
  const del = `${side} delete-old`.replace('member delete-old', 'member delete');
  const rows = [
    // delete-old deletes only enrolled old blue (-oldN) or green (-green-...), nothing else.
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', 'true', A],
    [del, 'rds:DeleteDBInstance', 'db', 'orders-old1-instance-1', 'true', A],
    [del, 'rds:DeleteDBInstance', 'db', 'orders-green-abc123', 'true', A],
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders', 'true', D], // production: not named like old blue
    [del, 'rds:DeleteDBInstance', 'db', 'orders-instance-1', 'true', D],
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', undefined, D], // not enrolled
    [del, 'rds:DeleteDBInstance', 'db', 'payments-old1', 'false', D],
    [del, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', A],
    [del, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', undefined, D],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', A, { 'aws:TagKeys': ['bluegreen:cleanup-started'] }],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', D, { 'aws:TagKeys': ['rds-bluegreen:enrolled'] }],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', undefined, D, { 'aws:TagKeys': ['bluegreen:cleanup-started'] }],
    [del, 'rds:AddTagsToResource', 'cluster', 'payments', undefined, D, { 'aws:TagKeys': ['rds-bluegreen:enrolled'] }],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'orders-old1-final-abc', undefined, A],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'anything-else', undefined, D],
    [del, 'rds:ModifyDBCluster', 'cluster', 'orders-old1', 'true', D], // never turns protection off
    [del, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
  ];
  const change = `${side} ${side === 'hub' ? 'switchover' : 'change'}`;
  rows.push(
    [change, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', A],
    [change, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', undefined, D],
    [change, 'rds:RebootDBInstance', 'db', 'orders-green-abc123', 'true', A],
    [change, 'rds:RebootDBInstance', 'db', 'payments', undefined, D],
    [change, 'rds:CreateDBClusterSnapshot', 'cluster', 'orders', 'true', A],
    [change, 'rds:CreateDBClusterSnapshot', 'cluster', 'payments', undefined, D],
    [change, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', 'true', D],
    [change, 'rds:DeleteDBInstance', 'db', 'orders-old1', 'true', D],
    [change, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
  );
  const create = `${side} ${side === 'hub' ? 'create' : 'change'}`;
  rows.push(
    [create, 'rds:CreateBlueGreenDeployment', 'cluster', 'orders', 'true', A],
    [create, 'rds:CreateBlueGreenDeployment', 'cluster', 'payments', undefined, D],
    [create, 'rds:CreateBlueGreenDeployment', 'db', 'payments', 'false', D],
    [create, 'rds:CreateBlueGreenDeployment', 'deployment', 'bgd-new', undefined, A, { [`aws:RequestTag/${ENROLLED}`]: 'true', 'aws:TagKeys': [ENROLLED] }],
    [create, 'rds:CreateBlueGreenDeployment', 'deployment', 'bgd-new', undefined, D],
    [create, 'rds:DeleteDBInstance', 'db', 'orders-green-abc123', 'true', D],
  );
  const readers = side === 'hub' ? ['hub precheck', 'hub poll-status'] : ['member read'];
  for (const reader of readers) {
    rows.push(
      [reader, 'rds:DescribeDBClusters', 'cluster', 'orders', undefined, A],
      [reader, 'rds:DescribeBlueGreenDeployments', 'deployment', 'bgd-abc', undefined, A],
      [reader, 'rds:CreateBlueGreenDeployment', 'cluster', 'orders', 'true', D],
      [reader, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
      [reader, 'rds:ModifyDBCluster', 'cluster', 'orders', 'true', D],
      [reader, 'rds:RebootDBInstance', 'db', 'orders-instance-1', 'true', D],
      [reader, 'rds:CreateDBClusterSnapshot', 'cluster', 'orders', 'true', D],
      [reader, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', 'true', D],
      [reader, 'rds:DeleteDBInstance', 'db', 'orders-old1', 'true', D],
      [reader, 'rds:AddTagsToResource', 'cluster', 'orders', 'true', D],
    );
  }
  RDS_ROWS.push(...rows);
}
// notify publishes; it never changes a database.
for (const action of ['rds:DeleteDBCluster', 'rds:ModifyDBCluster', 'rds:SwitchoverBlueGreenDeployment', 'rds:CreateBlueGreenDeployment']) {
  RDS_ROWS.push(['hub notify', action, action.includes('Switchover') ? 'deployment' : 'cluster', 'orders', 'true', D]);
}

for (const [who, action, type, name, enrolled, expected, extra] of RDS_ROWS) {
  const tagText = enrolled === undefined ? 'no enrolment tag' : `enrolled=${enrolled}`;
  test(`${who}: ${action} on ${type}:${name} (${tagText}) is ${expected}`, async () => {
    const w = WHO[who];
    assert.ok(w, `unknown principal ${who}`);
    const result = await decide({
      principal: w.principal,
      identityPolicies: w.policies(),
      action,
      resource: rds(w.account, type, name),
      account: w.account,
      context: { ...tags(enrolled), ...(extra || {}) },
    });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A, `${who} may ${action} on ${type}:${name}`);
  });
}

// ---------------------------------------------------------------- trust: who may assume which member role
const KIND_OF = { PrecheckFunction: 'read', PollStatusFunction: 'read', NotifyFunction: 'read', CreateFunction: 'change', SwitchoverFunction: 'change', DeleteOldFunction: 'delete' };

async function assume({ principal, identityPolicies, kind, externalId, trustResolver = member, orgId }) {
  const role = memberTemplate.Resources[MEMBER_ROLE[kind]].Properties;
  const trust = trustResolver.resolve(role.AssumeRolePolicyDocument);
  const context = {};
  if (externalId) context['sts:ExternalId'] = externalId;
  if (orgId) context['aws:PrincipalOrgID'] = orgId;
  return decide({ principal, identityPolicies, action: 'sts:AssumeRole', resource: memberRoleArn(kind), account: MEMBER, context, resourcePolicy: trust });
}

for (const [fn, ownKind] of Object.entries(KIND_OF)) {
  for (const kind of ['read', 'change', 'delete']) {
    const expected = kind === ownKind ? A : D;
    test(`hub ${fn} assuming the member ${kind} role is ${expected}`, async () => {
      const result = await assume({ principal: hubRole(fn), identityPolicies: hubFunctionPolicies(fn), kind, externalId: EXTERNAL_ID });
      if (expected === A) assert.equal(result, A);
      else assert.notEqual(result, A);
    });
  }
}

test('the member delete role refuses its own hub function without the external id', async () => {
  const fn = 'DeleteOldFunction';
  const result = await assume({ principal: hubRole(fn), identityPolicies: hubFunctionPolicies(fn), kind: 'delete' });
  assert.notEqual(result, A);
});

test('the member delete role refuses a wrong external id', async () => {
  const fn = 'DeleteOldFunction';
  const result = await assume({ principal: hubRole(fn), identityPolicies: hubFunctionPolicies(fn), kind: 'delete', externalId: 'another-external-id-000' });
  assert.notEqual(result, A);
});

test('the member delete role refuses a role of another account, even one that may assume anything', async () => {
  const anything = [{ name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
  const result = await assume({ principal: OTHER_ORG_ROLE, identityPolicies: anything, kind: 'delete', externalId: EXTERNAL_ID });
  assert.notEqual(result, A);
});

test('with an organization id, the member roles also require the principal to be in it', async () => {
  const org = memberResolver({ OrganizationId: 'o-abcdefghij' });
  const fn = 'DeleteOldFunction';
  const base = { principal: hubRole(fn), identityPolicies: hubFunctionPolicies(fn), kind: 'delete', externalId: EXTERNAL_ID, trustResolver: org };
  assert.equal(await assume({ ...base, orgId: 'o-abcdefghij' }), A);
  assert.notEqual(await assume({ ...base, orgId: 'o-zzzzzzzzzz' }), A);
  assert.notEqual(await assume({ ...base }), A);
});

test('only the state machines may invoke the functions, and only the notify role may publish', () => {
  const invokers = [];
  const publishers = [];
  for (const [id, res] of Object.entries(hubTemplate.Resources)) {
    for (const p of (res.Properties && res.Properties.Policies) || []) {
      for (const s of hub.resolve(p).Statement || []) {
        const actions = [].concat(s.Action);
        if (actions.some((a) => a.startsWith('lambda:Invoke'))) invokers.push(id);
        if (actions.includes('sns:Publish')) publishers.push(id);
      }
    }
  }
  assert.deepEqual(invokers, ['FleetStateMachine', 'StateMachine']);
  assert.deepEqual(publishers, ['NotifyFunction']);
});

// ---------------------------------------------------------------- the fleet state machine: plans, starts, reports
// It plans with the read-only precheck and reports with notify; it starts only the per-database
// state machine; it reads manifests and writes reports in its own bucket, nowhere else.
const fleetPolicies = () => (hubTemplate.Resources.FleetStateMachine.Properties.Policies || []).map((p, i) => ({ name: `FleetStateMachine-${i}`, policy: { Version: '2012-10-17', ...hub.resolve(p) } }));
const FLEET_ROLE = hubRole('FleetStateMachine');
const fn = (name) => `arn:aws:lambda:${REGION}:${HUB}:function:hub-${name}`;
const BUCKET = 'arn:aws:s3:::hub-reportbucket';
for (const [action, resource, expected] of [
  ['lambda:InvokeFunction', fn('PrecheckFunction'), A],
  ['lambda:InvokeFunction', fn('NotifyFunction'), A],
  ['lambda:InvokeFunction', fn('CreateFunction'), D],
  ['lambda:InvokeFunction', fn('SwitchoverFunction'), D],
  ['lambda:InvokeFunction', fn('DeleteOldFunction'), D],
  ['states:StartExecution', `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-bluegreen`, A],
  // A Distributed Map's child workflows are executions of the fleet machine itself.
  ['states:StartExecution', `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-fleet`, A],
  ['states:StartExecution', `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-release-lock`, D],
  ['states:DescribeExecution', `arn:aws:states:${REGION}:${HUB}:execution:hub-bluegreen:pg16-orders-1a2b3c4d`, A],
  ['states:DescribeExecution', `arn:aws:states:${REGION}:${HUB}:execution:other-machine:x`, D],
  // The plan function reads manifests and writes the batches; the machine's ItemReader reads
  // a batch, its ResultWriter writes the children's results; the notify function the reports.
  ['s3:GetObject', `${BUCKET}/manifests/fleet.csv`, D],
  ['s3:GetObject', `${BUCKET}/fleet/pg16/run-1/plan/wave-1-batch-0.json`, A],
  ['s3:GetObject', `${BUCKET}/fleet/pg16/run-1/report.json`, D],
  ['s3:GetObject', 'arn:aws:s3:::someone-elses-bucket/manifests/fleet.csv', D],
  ['s3:PutObject', `${BUCKET}/fleet/results/map-run-1/SUCCEEDED_0.json`, A],
  ['s3:PutObject', `${BUCKET}/fleet/pg16/run-1/plan/wave-1-batch-0.json`, D],
  ['s3:PutObject', `${BUCKET}/manifests/fleet.csv`, D],
  ['s3:DeleteObject', `${BUCKET}/fleet/pg16/run-1/report.json`, D],
  ['rds:DescribeDBClusters', '*', D],
  ['rds:DeleteDBCluster', `arn:aws:rds:${REGION}:${HUB}:cluster:orders-old1`, D],
]) {
  test(`the fleet state machine: ${action} on ${resource} is ${expected}`, async () => {
    const result = await decide({ principal: FLEET_ROLE, identityPolicies: fleetPolicies(), action, resource, account: HUB });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}

test('the report bucket refuses every request without TLS', async () => {
  const policy = hub.resolve(hubTemplate.Resources.ReportBucketPolicy.Properties.PolicyDocument);
  for (const [tls, expected] of [['true', A], ['false', D]]) {
    const result = await decide({
      principal: FLEET_ROLE, identityPolicies: fleetPolicies(), action: 's3:PutObject', resource: `${BUCKET}/fleet/results/r/SUCCEEDED_0.json`,
      account: HUB, context: { 'aws:SecureTransport': tls }, resourcePolicy: policy,
    });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  }
});

// ---------------------------------------------------------------- the topic: only notify publishes, only over TLS
function topicPolicy() {
  const res = hubTemplate.Resources.TopicPolicy.Properties;
  return hub.resolve(res.PolicyDocument);
}
const TOPIC = `arn:aws:sns:${REGION}:${HUB}:hub-topic`;
const publishAnything = [{ name: 'broad', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] } }];

for (const [who, principal, policies, tls, expected] of [
  ['the notify role', hubRole('NotifyFunction'), () => hubFunctionPolicies('NotifyFunction'), 'true', A],
  ['the notify role without TLS', hubRole('NotifyFunction'), () => hubFunctionPolicies('NotifyFunction'), 'false', D],
  ['another role of the account allowed to publish anywhere', hubRole('SwitchoverFunction'), () => publishAnything, 'true', D],
]) {
  test(`publishing to the topic by ${who} is ${expected}`, async () => {
    const result = await decide({
      principal,
      identityPolicies: policies(),
      action: 'sns:Publish',
      resource: TOPIC,
      account: HUB,
      context: { 'aws:SecureTransport': tls, 'aws:PrincipalArn': principal },
      resourcePolicy: topicPolicy(),
    });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}
