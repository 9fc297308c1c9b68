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
  HUB, MEMBER, OUTSIDE, REGION, EXTERNAL_ID, ENROLLED, OTHER_ORG_ROLE, MEMBER_ROLE, MANIFEST_WRITER, hubRole, rds, hubTemplate, hub, hubResolver, hubFunctionPolicies, memberTemplate, member, memberResolver, memberRoleName, memberRoleArn, memberRolePolicies,
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
const memberWho = (kind) => ({ principal: `arn:aws:sts::${MEMBER}:assumed-role/${memberRoleName(kind)}/s`, policies: () => memberRolePolicies(kind), account: MEMBER });
const hubWho = (fn) => ({ principal: hubRole(fn), policies: () => hubFunctionPolicies(fn), account: HUB });
const WHO = {
  'hub precheck': hubWho('PrecheckFunction'),
  'hub poll-status': hubWho('PollStatusFunction'),
  'hub create': hubWho('CreateFunction'),
  'hub switchover': hubWho('SwitchoverFunction'),
  'hub delete-old': hubWho('DeleteOldFunction'),
  'hub notify': hubWho('NotifyFunction'),
  'member read': memberWho('read'),
  'member create': memberWho('create'),
  'member switchover': memberWho('switchover'),
  'member delete': memberWho('delete'),
};

const A = 'Allowed';
const D = 'denied';
const SNAPSHOT_TAG = { 'aws:RequestTag/created-by': 'rds-bluegreen-automation', 'aws:TagKeys': ['created-by'] };
const ENROL = { [`aws:RequestTag/${ENROLLED}`]: 'true', 'aws:TagKeys': [ENROLLED] };

// [who, action, resource type, resource name, enrolled tag (undefined = none), expected, extra context]
const RDS_ROWS = [];
for (const side of ['hub', 'member']) {
  const del = side === 'hub' ? 'hub delete-old' : 'member delete';
  const rows = [
    // cleanup: old blue, renamed <name>-oldN by the switchover, still enrolled.
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', 'true', A],
    [del, 'rds:DeleteDBInstance', 'db', 'orders-instance-1-old1', 'true', A],
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', undefined, D], // not enrolled
    [del, 'rds:DeleteDBInstance', 'db', 'payments-old1', 'false', D],
    [del, 'rds:DeleteDBCluster', 'cluster', 'billing-old-archive', undefined, D], // the old substring pattern matched it
    // abandon: RDS deletes green on the caller's behalf, where only "*" applies: allowed only
    // where green carries the enrolment tag, refused (nothing deleted) where it does not.
    [del, 'rds:DeleteDBInstance', 'db', 'orders-green-abc123', 'true', A],
    [del, 'rds:DeleteDBInstance', 'db', 'orders-green-abc123', undefined, D],
    [del, 'rds:DeleteDBClusterEndpoint', 'cluster-endpoint', 'orders-green-abc123-reader', undefined, D],
    // The residual AWS leaves (docs/security.md): IAM cannot tell enrolled production from
    // green, so the delete role's "*" reaches it; the code's resource-id guards and deletion
    // protection (which this role cannot turn off) are what stop that delete.
    [del, 'rds:DeleteDBCluster', 'cluster', 'orders', 'true', A],
    [del, 'rds:DeleteDBCluster', 'cluster', 'payments', undefined, D],
    [del, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', A],
    [del, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', undefined, D],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', A, { 'aws:TagKeys': ['bluegreen:cleanup-started'] }],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', D, { 'aws:TagKeys': [ENROLLED], [`aws:RequestTag/${ENROLLED}`]: 'true' }],
    [del, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', undefined, D, { 'aws:TagKeys': ['bluegreen:cleanup-started'] }],
    [del, 'rds:AddTagsToResource', 'cluster', 'payments', undefined, D, ENROL],
    [del, 'rds:RemoveTagsFromResource', 'cluster', 'orders', 'true', D, { 'aws:TagKeys': [ENROLLED] }],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster', 'orders-old1', 'true', A],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster', 'orders', 'true', D],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'orders-old1-final-abc', undefined, A, SNAPSHOT_TAG],
    [del, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'anything', undefined, D],
    [del, 'rds:ModifyDBCluster', 'cluster', 'orders-old1', 'true', D], // never turns protection off
    [del, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
    [del, 'rds:CreateBlueGreenDeployment', 'cluster', 'orders', 'true', D],
  ];
  const sw = `${side} switchover`;
  rows.push(
    [sw, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', A],
    [sw, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', undefined, D],
    // What RDS does on the caller's behalf at switchover: "*", on enrolled resources only.
    [sw, 'rds:ModifyDBCluster', 'cluster', 'orders', 'true', A],
    [sw, 'rds:ModifyDBInstance', 'db', 'orders-green-abc123', 'true', A],
    [sw, 'rds:PromoteReadReplica', 'db', 'orders-green-abc123', 'true', A],
    [sw, 'rds:ModifyDBCluster', 'cluster', 'payments', undefined, D],
    [sw, 'rds:PromoteReadReplica', 'db', 'payments-copy', undefined, D],
    // The product's reboot of a green member pending a reboot: the exact name RDS gives green.
    [sw, 'rds:RebootDBInstance', 'db', 'orders-green-abc123', undefined, A],
    [sw, 'rds:RebootDBInstance', 'db', 'team-green-prod', undefined, D],
    [sw, 'rds:RebootDBInstance', 'db', 'payments', 'true', D],
    [sw, 'rds:CreateDBClusterSnapshot', 'cluster', 'orders', 'true', A],
    [sw, 'rds:CreateDBClusterSnapshot', 'cluster', 'payments', undefined, D],
    [sw, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'orders-pre-switchover-x', undefined, A, SNAPSHOT_TAG],
    [sw, 'rds:CreateDBClusterSnapshot', 'cluster-snapshot', 'orders-pre-switchover-x', undefined, D],
    [sw, 'rds:AddTagsToResource', 'cluster', 'payments', undefined, D, ENROL],
    [sw, 'rds:AddTagsToResource', 'db', 'orders-green-abc123', undefined, D, ENROL],
    [sw, 'rds:CreateBlueGreenDeployment', 'cluster', 'orders', 'true', D],
    [sw, 'rds:CreateDBInstanceReadReplica', 'db', 'orders-copy', undefined, D],
    [sw, 'rds:DeleteDBCluster', 'cluster', 'orders-old1', 'true', D],
    [sw, 'rds:DeleteDBInstance', 'db', 'orders-old1', 'true', D],
    [sw, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
    // Issue 21: restore-roles associates blue's roles with an enrolled production only.
    [sw, 'rds:AddRoleToDBCluster', 'cluster', 'orders', 'true', A],
    [sw, 'rds:AddRoleToDBInstance', 'db', 'orders', 'true', A],
    [sw, 'rds:AddRoleToDBCluster', 'cluster', 'payments', undefined, D],
    [sw, 'rds:AddRoleToDBInstance', 'db', 'payments', 'false', D],
    [sw, 'rds:RemoveRoleFromDBCluster', 'cluster', 'orders', 'true', D],
  );
  const create = `${side} create`;
  rows.push(
    [create, 'rds:CreateBlueGreenDeployment', 'cluster', 'orders', 'true', A],
    [create, 'rds:CreateBlueGreenDeployment', 'cluster', 'payments', undefined, D],
    [create, 'rds:CreateBlueGreenDeployment', 'db', 'payments', 'false', D],
    [create, 'rds:CreateBlueGreenDeployment', 'deployment', 'bgd-new', undefined, A, ENROL],
    [create, 'rds:CreateBlueGreenDeployment', 'deployment', 'bgd-new', undefined, D],
    // The deployment's tags at creation are authorized as AddTagsToResource on it.
    [create, 'rds:AddTagsToResource', 'deployment', 'bgd-new', undefined, A, { ...ENROL, 'aws:TagKeys': [ENROLLED, 'bluegreen:blue'] }],
    [create, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', A, { 'aws:TagKeys': ['bluegreen:green'] }],
    [create, 'rds:AddTagsToResource', 'deployment', 'bgd-abc', 'true', D, ENROL], // re-enrol an existing one
    [create, 'rds:AddTagsToResource', 'deployment', 'bgd-new', undefined, D, { [`aws:RequestTag/${ENROLLED}`]: 'false', 'aws:TagKeys': [ENROLLED] }],
    // The enrolment tag on a database: never, by any role.
    [create, 'rds:AddTagsToResource', 'cluster', 'payments', undefined, D, ENROL],
    [create, 'rds:AddTagsToResource', 'db', 'orders-green-abc123', undefined, D, ENROL],
    [create, 'rds:RemoveTagsFromResource', 'cluster', 'orders', 'true', D, { 'aws:TagKeys': [ENROLLED] }],
    [create, 'rds:AddTagsToResource', 'db', 'orders-green-abc123', undefined, A, { 'aws:TagKeys': ['team'] }],
    // What RDS does on the caller's behalf while it builds green: "*".
    [create, 'rds:CreateDBInstanceReadReplica', 'db', 'orders-green-abc123', undefined, A],
    [create, 'rds:CreateDBCluster', 'cluster', 'orders-green-abc123', undefined, A],
    [create, 'rds:ModifyDBInstance', 'db', 'orders', 'true', D],
    [create, 'rds:ModifyDBCluster', 'cluster', 'orders', 'true', D],
    [create, 'rds:PromoteReadReplica', 'db', 'orders-green-abc123', 'true', D],
    [create, 'rds:RebootDBInstance', 'db', 'orders-green-abc123', undefined, D],
    [create, 'rds:SwitchoverBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
    [create, 'rds:DeleteDBInstance', 'db', 'orders-green-abc123', 'true', D],
    [create, 'rds:DeleteBlueGreenDeployment', 'deployment', 'bgd-abc', 'true', D],
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
      [reader, 'rds:AddTagsToResource', 'cluster', 'orders', 'true', D, ENROL],
      [reader, 'rds:AddRoleToDBCluster', 'cluster', 'orders', 'true', D],
    );
  }
  RDS_ROWS.push(...rows);
}
// notify publishes; it never changes a database.
for (const action of ['rds:DeleteDBCluster', 'rds:ModifyDBCluster', 'rds:SwitchoverBlueGreenDeployment', 'rds:CreateBlueGreenDeployment', 'rds:AddTagsToResource']) {
  RDS_ROWS.push(['hub notify', action, action.includes('Switchover') ? 'deployment' : 'cluster', 'orders', 'true', D, action.includes('Tags') ? ENROL : undefined]);
}

const decideRow = (w, action, type, name, enrolled, extra) =>
  decide({
    principal: w.principal,
    identityPolicies: w.policies(),
    action,
    resource: rds(w.account, type, name),
    account: w.account,
    context: { ...tags(enrolled), ...(extra || {}) },
  });

for (const [who, action, type, name, enrolled, expected, extra] of RDS_ROWS) {
  const tagText = enrolled === undefined ? 'no enrolment tag' : `enrolled=${enrolled}`;
  const extraText = extra && extra['aws:TagKeys'] ? ` with tag keys ${extra['aws:TagKeys'].join('+')}` : '';
  test(`${who}: ${action} on ${type}:${name} (${tagText})${extraText} is ${expected}`, async () => {
    const w = WHO[who];
    assert.ok(w, `unknown principal ${who}`);
    const result = await decideRow(w, action, type, name, enrolled, extra);
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A, `${who} may ${action} on ${type}:${name}`);
  });
}

// ---------------------------------------------------------------- attack chains: no role can run one to its end
// Each chain is a list of steps [action, type, name, enrolled tag, context]; every step after
// the first acts on the database as the previous steps would have left it. A chain is denied
// when no product role may take its first step, and no single role may take every step.
const CHAINS = {
  // Enrol an un-enrolled production cluster, rename it like old blue / turn deletion
  // protection off, then delete it.
  'tag then modify then delete': [
    ['rds:AddTagsToResource', 'cluster', 'payments', undefined, ENROL],
    ['rds:ModifyDBCluster', 'cluster', 'payments', 'true'],
    ['rds:DeleteDBCluster', 'cluster', 'payments-old1', 'true'],
  ],
  // Copy any database as a replica, promote the copy, reset its master password.
  'replica then promote then reset the password': [
    ['rds:CreateDBInstanceReadReplica', 'db', 'payments-copy', undefined],
    ['rds:PromoteReadReplica', 'db', 'payments-copy', undefined],
    ['rds:ModifyDBInstance', 'db', 'payments-copy', undefined],
  ],
  // Unenrol a database to hide it from the precheck, or enrol a replica to promote it.
  'remove the enrolment, or enrol a copy': [
    ['rds:RemoveTagsFromResource', 'cluster', 'orders', 'true', { 'aws:TagKeys': [ENROLLED] }],
    ['rds:AddTagsToResource', 'db', 'payments-copy', undefined, ENROL],
  ],
};
for (const [chain, steps] of Object.entries(CHAINS)) {
  test(`attack chain "${chain}": no product role can take every step`, async () => {
    for (const [who, w] of Object.entries(WHO)) {
      const allowed = [];
      for (const [action, type, name, enrolled, extra] of steps) {
        allowed.push((await decideRow(w, action, type, name, enrolled, extra)) === A);
      }
      assert.ok(!allowed.every(Boolean), `${who} can run "${chain}": ${JSON.stringify(allowed)}`);
    }
  });
}
test('attack chains: no product role may add or remove the enrolment tag on a database', async () => {
  for (const [who, w] of Object.entries(WHO)) {
    for (const [action, type, name, enrolled, extra] of [
      ['rds:AddTagsToResource', 'cluster', 'payments', undefined, ENROL],
      ['rds:AddTagsToResource', 'db', 'payments-instance-1', 'false', ENROL],
      ['rds:RemoveTagsFromResource', 'db', 'orders-instance-1', 'true', { 'aws:TagKeys': [ENROLLED] }],
    ]) {
      assert.notEqual(await decideRow(w, action, type, name, enrolled, extra), A, `${who} may ${action} on ${type}:${name}`);
    }
  }
});
test('attack chains: no product role may promote or modify a database that is not enrolled', async () => {
  for (const [who, w] of Object.entries(WHO)) {
    for (const action of ['rds:PromoteReadReplica', 'rds:ModifyDBInstance', 'rds:RebootDBInstance']) {
      assert.notEqual(await decideRow(w, action, 'db', 'payments-copy', undefined), A, `${who} may ${action} on an un-enrolled copy`);
    }
  }
});
// Issue 21: the change side passes a role to RDS only (restore-roles), never to another service.
for (const who of ['hub switchover', 'member switchover', 'hub precheck']) {
  for (const [service, expected] of [['rds.amazonaws.com', A], ['lambda.amazonaws.com', D]]) {
    const want = who === 'hub precheck' ? D : expected;
    test(`${who}: iam:PassRole to ${service} is ${want}`, async () => {
      const w = WHO[who];
      const result = await decide({
        principal: w.principal,
        identityPolicies: w.policies(),
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${w.account}:role/s3-import`,
        account: w.account,
        context: { 'iam:PassedToService': service },
      });
      if (want === A) assert.equal(result, A);
      else assert.notEqual(result, A, `${who} may pass a role to ${service}`);
    });
  }
}

// ---------------------------------------------------------------- trust: who may assume which member role
const KIND_OF = { PrecheckFunction: 'read', PollStatusFunction: 'read', NotifyFunction: 'read', CreateFunction: 'create', SwitchoverFunction: 'switchover', DeleteOldFunction: 'delete' };

async function assume({ principal, identityPolicies, kind, externalId, trustResolver = member, orgId }) {
  const role = memberTemplate.Resources[MEMBER_ROLE[kind]].Properties;
  const trust = trustResolver.resolve(role.AssumeRolePolicyDocument);
  const context = { 'aws:ResourceAccount': MEMBER };
  if (externalId) context['sts:ExternalId'] = externalId;
  if (orgId) context['aws:PrincipalOrgID'] = orgId;
  return decide({ principal, identityPolicies, action: 'sts:AssumeRole', resource: memberRoleArn(kind), account: MEMBER, context, resourcePolicy: trust });
}

for (const [fn, ownKind] of Object.entries(KIND_OF)) {
  for (const kind of ['read', 'create', 'switchover', 'delete']) {
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

test('only the state machines may invoke the functions (the lock release only notify), and only the notify role may publish', () => {
  const invokers = [];
  const publishers = [];
  for (const [id, res] of Object.entries(hubTemplate.Resources)) {
    for (const p of (res.Properties && res.Properties.Policies) || []) {
      for (const s of hub.resolve(p).Statement || []) {
        const actions = [].concat(s.Action);
        if (actions.some((a) => a.startsWith('lambda:Invoke')) && !invokers.includes(id)) invokers.push(id);
        if (actions.includes('sns:Publish')) publishers.push(id);
      }
    }
  }
  assert.deepEqual(invokers, ['ReleaseLockStateMachine', 'FleetStateMachine', 'StateMachine']);
  assert.deepEqual(publishers, ['NotifyFunction']);
  const release = hub.resolve(hubTemplate.Resources.ReleaseLockStateMachine.Properties.Policies[0]).Statement;
  const invoked = release.filter((s) => [].concat(s.Action).some((a) => a.startsWith('lambda:Invoke')));
  assert.deepEqual(invoked.map((s) => s.Resource), [`arn:aws:lambda:${REGION}:${HUB}:function:hub-NotifyFunction`]);
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

// ---------------------------------------------------------------- Slack approvals: notify starts the stack's two machines only
// A verified, allowed Slack click starts an approve/reject execution (shared/src/notify/interaction/):
// notify may start the per-database state machine (a switchover's or cleanup's question) and the
// fleet machine (a wave's) and no other, and read the signing secret and no other secret. Without
// a signing secret (SlackSigningSecretArn none) it may start nothing.
const NOTIFY_ROLE = hubRole('NotifyFunction');
const machine = (name, region = REGION, account = HUB) => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
const secretArn = (name) => `arn:aws:secretsmanager:${REGION}:${HUB}:secret:${name}`;
for (const [action, resource, expected] of [
  ['states:StartExecution', machine('hub-bluegreen'), A],
  ['states:StartExecution', machine('hub-fleet'), A],
  ['states:StartExecution', machine('hub-release-lock'), D],
  ['states:StartExecution', machine('other-fleet'), D],
  ['states:StartExecution', machine('hub-bluegreen', 'us-east-1'), D],
  ['states:StartExecution', machine('hub-fleet', 'us-east-1'), D],
  ['states:StartExecution', machine('hub-bluegreen', REGION, OUTSIDE), D],
  ['states:StopExecution', `arn:aws:states:${REGION}:${HUB}:execution:hub-bluegreen:orders-1`, D],
  // A click never answers a task token itself: the approve execution does, after re-reading.
  ['states:SendTaskSuccess', '*', D],
  ['secretsmanager:GetSecretValue', secretArn('slack-signing-AbCdEf'), A],
  ['secretsmanager:GetSecretValue', secretArn('slack-AbCdEf'), A],
  ['secretsmanager:GetSecretValue', secretArn('database-password-AbCdEf'), D],
]) {
  test(`the notify role (Slack approvals on): ${action} on ${resource} is ${expected}`, async () => {
    const result = await decide({ principal: NOTIFY_ROLE, identityPolicies: hubFunctionPolicies('NotifyFunction'), action, resource, account: HUB });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}

test('the notify role (Slack approvals off) starts no execution and reads no signing secret', async () => {
  const off = hubResolver({ SlackSigningSecretArn: 'none' });
  const identityPolicies = hubFunctionPolicies('NotifyFunction', off);
  for (const [action, resource] of [
    ['states:StartExecution', machine('hub-bluegreen')],
    ['states:StartExecution', machine('hub-fleet')],
    ['secretsmanager:GetSecretValue', secretArn('slack-signing-AbCdEf')],
  ]) {
    assert.notEqual(await decide({ principal: NOTIFY_ROLE, identityPolicies, action, resource, account: HUB }), A, `${action} on ${resource}`);
  }
});

// ---------------------------------------------------------------- an execution's figures: notify reads its own executions' history
// At an execution's end notify counts its state transitions and RDS calls from its history
// (shared/src/metrics/history.rs): the per-database machine's executions only.
const execution = (machineName, name = 'orders-1', region = REGION, account = HUB) => `arn:aws:states:${region}:${account}:execution:${machineName}:${name}`;
for (const [resource, expected] of [
  [execution('hub-bluegreen'), A],
  [execution('hub-fleet'), D],
  [execution('hub-release-lock'), D],
  [execution('other-bluegreen'), D],
  [execution('hub-bluegreen', 'orders-1', 'us-east-1'), D],
  [execution('hub-bluegreen', 'orders-1', REGION, OUTSIDE), D],
]) {
  test(`the notify role: states:GetExecutionHistory on ${resource} is ${expected}`, async () => {
    const result = await decide({ principal: NOTIFY_ROLE, identityPolicies: hubFunctionPolicies('NotifyFunction'), action: 'states:GetExecutionHistory', resource, account: HUB });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}

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

// ---------------------------------------------------------------- AllowedAccountIds, enforced by IAM too
// A permissive trust policy stands for a member role that would let the hub in: what is tested
// is the hub role's own policy, built from AllowedAccountIds (aws:ResourceAccount).
const openTrust = (principal) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] }] });
for (const [fn, kind] of Object.entries(KIND_OF)) {
  for (const [account, list, expected] of [
    [MEMBER, undefined, A],
    [OUTSIDE, undefined, D],
    [OUTSIDE, ['any'], A],
  ]) {
    const listText = list ? `AllowedAccountIds=${list.join(',')}` : `AllowedAccountIds=${HUB},${MEMBER}`;
    test(`hub ${fn} assuming rds-bluegreen-${kind} in account ${account} (${listText}) is ${expected}`, async () => {
      const resolved = list ? hubResolver({ AllowedAccountIds: list }) : hub;
      const result = await decide({
        principal: hubRole(fn),
        identityPolicies: hubFunctionPolicies(fn, resolved),
        action: 'sts:AssumeRole',
        resource: `arn:aws:iam::${account}:role/rds-bluegreen-${kind}`,
        account,
        // aws:ResourceAccount: the account that owns the role (set by AWS on every request).
        context: { 'sts:ExternalId': EXTERNAL_ID, 'aws:ResourceAccount': account },
        resourcePolicy: openTrust(hubRole(fn)),
      });
      if (expected === A) assert.equal(result, A);
      else assert.notEqual(result, A);
    });
  }
}

test('AllowedAccountIds has no default: every account is an explicit `any`', () => {
  const param = hubTemplate.Parameters.AllowedAccountIds;
  assert.equal(param.Default, undefined);
  assert.match('any', new RegExp(param.AllowedPattern));
});

// ---------------------------------------------------------------- manifests: written only by the principals the stack names
const writeAnything = [{ name: 'broad', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }];
const bucketPolicy = () => hub.resolve(hubTemplate.Resources.ReportBucketPolicy.Properties.PolicyDocument);
for (const [who, principal, policies, action, key, expected] of [
  ['the named manifest writer', MANIFEST_WRITER, () => writeAnything, 's3:PutObject', 'manifests/fleet.csv', A],
  ['the named manifest writer', MANIFEST_WRITER, () => writeAnything, 's3:DeleteObject', 'manifests/fleet.csv', A],
  ['another role of the account allowed s3:* everywhere', hubRole('SwitchoverFunction'), () => writeAnything, 's3:PutObject', 'manifests/fleet.csv', D],
  ['another role of the account allowed s3:* everywhere', hubRole('SwitchoverFunction'), () => writeAnything, 's3:DeleteObject', 'manifests/fleet.csv', D],
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, 's3:PutObject', 'manifests/fleet.csv', D],
  // The precheck function reads manifests now (it plans into S3 batches); the machine reads
  // only its batches and writes only its Map results.
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, 's3:GetObject', 'manifests/fleet.csv', D],
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, 's3:GetObject', 'fleet/f/plan/batch-1.json', A],
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, 's3:PutObject', 'fleet/results/f/manifest.json', A],
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, 's3:PutObject', 'fleet/f/r/report.json', D],
]) {
  test(`the report bucket: ${who} ${action} on ${key} is ${expected}`, async () => {
    const result = await decide({
      principal, identityPolicies: policies(), action, resource: `${BUCKET}/${key}`, account: HUB,
      context: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': principal }, resourcePolicy: bucketPolicy(),
    });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}

// ---------------------------------------------------------------- the topic: nobody subscribes through the product
for (const [who, principal, policies, account, expected] of [
  ...Object.entries(KIND_OF).map(([fn]) => [`the ${fn} role`, hubRole(fn), () => hubFunctionPolicies(fn), HUB, D]),
  ['the fleet state machine', FLEET_ROLE, fleetPolicies, HUB, D],
  ['a role of another account allowed sns:* everywhere', `arn:aws:iam::${OUTSIDE}:role/anyone`, () => [{ name: 'broad', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:*', Resource: '*' }] } }], OUTSIDE, D],
]) {
  test(`subscribing to the topic by ${who} is ${expected}`, async () => {
    const result = await decide({
      principal, identityPolicies: policies(), action: 'sns:Subscribe', resource: TOPIC, account: HUB,
      context: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': account }, resourcePolicy: topicPolicy(),
    });
    assert.notEqual(result, A);
  });
}

// ---------------------------------------------------------------- the example service control policy
// examples/scp-reserve-enrolment-tag.json reserves rds-bluegreen:* tags on databases to named
// administrators. A service control policy's Deny refuses what any identity policy allows, so
// it is evaluated here as a Deny next to an identity policy that allows everything.
const SCP = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'examples', 'scp-reserve-enrolment-tag.json'), 'utf8'));
const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const ADMIN = `arn:aws:iam::${MEMBER}:role/DatabaseEnrolmentAdministrators`;
for (const [who, principal, action, type, keys, expected] of [
  ['a named administrator', ADMIN, 'rds:AddTagsToResource', 'cluster', [ENROLLED], A],
  ['a named administrator', ADMIN, 'rds:RemoveTagsFromResource', 'db', [ENROLLED], A],
  ['an SSO administrator of the named permission set', `arn:aws:iam::${MEMBER}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DatabaseEnrolmentAdministrators_0123abcd`, 'rds:AddTagsToResource', 'cluster', [ENROLLED], A],
  ['an account administrator', `arn:aws:iam::${MEMBER}:role/Admin`, 'rds:AddTagsToResource', 'cluster', [ENROLLED], D],
  ['the member create role', memberRoleArn('create'), 'rds:AddTagsToResource', 'db', ['team', ENROLLED], D],
  ['an account administrator', `arn:aws:iam::${MEMBER}:role/Admin`, 'rds:RemoveTagsFromResource', 'cluster', [ENROLLED], D],
  ['an account administrator', `arn:aws:iam::${MEMBER}:role/Admin`, 'rds:AddTagsToResource', 'cluster', ['team'], A],
]) {
  test(`the example SCP: ${who} ${action} with ${keys.join('+')} on a ${type} is ${expected}`, async () => {
    const result = await decide({
      principal,
      identityPolicies: [{ name: 'admin', policy: allowAll }, { name: 'scp', policy: SCP }],
      action,
      resource: rds(MEMBER, type, 'payments'),
      account: MEMBER,
      context: { 'aws:TagKeys': keys, 'aws:PrincipalArn': principal },
    });
    if (expected === A) assert.equal(result, A);
    else assert.notEqual(result, A);
  });
}
