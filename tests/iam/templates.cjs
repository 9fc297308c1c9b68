// The two templates resolved with fixed test values (hub account 111111111111, member account
// 222222222222): the policy documents IAM would hold once both stacks are deployed.
'use strict';

const { load, resolver } = require('./cfn.cjs');

const HUB = '111111111111';
const MEMBER = '222222222222';
const REGION = 'eu-west-1';
const EXTERNAL_ID = 'hub-external-id-0123456789';
const ENROLLED = 'rds-bluegreen:enrolled';
const OTHER_ORG_ROLE = 'arn:aws:iam::333333333333:role/rds-bluegreen-delete';

const hubRole = (fn) => `arn:aws:iam::${HUB}:role/hub-${fn}Role`;
const rds = (account, type, name) => `arn:aws:rds:${REGION}:${account}:${type}:${name}`;

// ---------------------------------------------------------------- the hub template's roles
const hubTemplate = load('template.yaml');
const OUTSIDE = '333333333333';
const MANIFEST_WRITER = `arn:aws:iam::${HUB}:role/fleet-operators`;
const hubResolver = (parameters = {}) => resolver(hubTemplate, {
  parameters: {
    TargetRoleArnPattern: 'arn:aws:iam::*:role/rds-bluegreen',
    TargetExternalId: EXTERNAL_ID,
    SlackWebhookSecretArn: `arn:aws:secretsmanager:${REGION}:${HUB}:secret:slack-AbCdEf`,
    SlackSigningSecretArn: `arn:aws:secretsmanager:${REGION}:${HUB}:secret:slack-signing-AbCdEf`,
    AllowedAccountIds: [HUB, MEMBER],
    ManifestWriterArns: [MANIFEST_WRITER],
    ...parameters,
  },
  pseudo: { 'AWS::AccountId': HUB, 'AWS::Region': REGION, 'AWS::StackName': 'hub' },
  generated: /FunctionRole$/,
  getAtt: (id, attr) => {
    if (attr === 'Arn' && id.endsWith('Role')) return hubRole(id.replace(/Role$/, ''));
    if (attr === 'Ref' && id.endsWith('Role')) return `hub-${id}`;
    if (attr === 'Arn' && id.endsWith('Function')) return `arn:aws:lambda:${REGION}:${HUB}:function:hub-${id}`;
    if (attr === 'Arn' && id.endsWith('Table')) return `arn:aws:dynamodb:${REGION}:${HUB}:table/hub-${id}`;
    if (attr === 'Arn' && id.endsWith('LogGroup')) return `arn:aws:logs:${REGION}:${HUB}:log-group:hub-${id}`;
    if (attr === 'Arn' && id.endsWith('Bucket')) return `arn:aws:s3:::hub-${id.toLowerCase()}`;
    if (attr === 'Ref' && id.endsWith('Bucket')) return `hub-${id.toLowerCase()}`;
    if (attr === 'Name' && id === 'StateMachine') return 'hub-bluegreen';
    if (attr === 'Ref' && id === 'StateMachine') return `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-bluegreen`;
    if (attr === 'Ref' && id === 'FleetStateMachine') return `arn:aws:states:${REGION}:${HUB}:stateMachine:hub-fleet`;
    if (attr === 'Arn') return `arn:aws:kms:${REGION}:${HUB}:key/${id}`;
    if (attr === 'Ref' && id === 'Topic') return `arn:aws:sns:${REGION}:${HUB}:hub-topic`;
    return `${id}.${attr}`;
  },
});
const hub = hubResolver();

/** The identity policies SAM gives a function's role (its `Policies` statements). */
function hubFunctionPolicies(fn, resolved = hub) {
  const props = hubTemplate.Resources[fn].Properties;
  return (props.Policies || []).map((p, i) => ({ name: `${fn}-${i}`, policy: { Version: '2012-10-17', ...resolved.resolve(p) } }));
}

// ---------------------------------------------------------------- the member account's roles
const memberTemplate = load('member-account.yaml');
function memberResolver(parameters) {
  return resolver(memberTemplate, {
    parameters: {
      ReadPrincipalArns: ['PrecheckFunction', 'PollStatusFunction', 'NotifyFunction'].map(hubRole),
      CreatePrincipalArn: hubRole('CreateFunction'),
      SwitchoverPrincipalArn: hubRole('SwitchoverFunction'),
      DeletePrincipalArn: hubRole('DeleteOldFunction'),
      ExternalId: EXTERNAL_ID,
      HubEventBusArn: `arn:aws:events:${REGION}:${HUB}:event-bus/default`,
      ...parameters,
    },
    pseudo: { 'AWS::AccountId': MEMBER, 'AWS::Region': REGION },
    getAtt: (id) => `arn:aws:iam::${MEMBER}:role/${id}`,
  });
}
const member = memberResolver({});
const memberRoleName = (kind) => `rds-bluegreen-${kind}`;
const memberRoleArn = (kind) => `arn:aws:iam::${MEMBER}:role/${memberRoleName(kind)}`;
const MEMBER_ROLE = { read: 'ReadRole', create: 'CreateRole', switchover: 'SwitchoverRole', delete: 'DeleteRole' };

function memberRolePolicies(kind) {
  const props = memberTemplate.Resources[MEMBER_ROLE[kind]].Properties;
  return props.Policies.map((p) => ({ name: p.PolicyName, policy: member.resolve(p.PolicyDocument) }));
}


/** Every policy document of both templates, named `<template>/<resource>/<n>`. */
function hubPolicies() {
  const out = [];
  for (const [id, res] of Object.entries(hubTemplate.Resources)) {
    if (!res.Properties || !res.Properties.Policies) continue;
    hubFunctionPolicies(id).forEach((p, i) => out.push([`template.yaml/${id}/${i}`, p.policy]));
  }
  return out;
}

function memberPolicies() {
  const out = [];
  for (const [id, res] of Object.entries(memberTemplate.Resources)) {
    if (res.Type !== 'AWS::IAM::Role') continue;
    out.push([`member-account.yaml/${id}/trust`, member.resolve(res.Properties.AssumeRolePolicyDocument)]);
    for (const p of res.Properties.Policies) out.push([`member-account.yaml/${id}/${p.PolicyName}`, member.resolve(p.PolicyDocument)]);
  }
  return out;
}

// How IAM decides `action` on `resource` (in the hub account) for the role SAM makes for the
// state machine `machine` (a template resource id such as `StateMachine`), from its policies.
async function decideForMachine(machine, action, resource) {
  const path = require('node:path');
  const { createRequire } = require('node:module');
  const { runSimulation } = createRequire(path.join(__dirname, '..', 'tools', 'package.json'))(
    '@cloud-copilot/iam-simulate',
  );
  const identityPolicies = hubTemplate.Resources[machine].Properties.Policies
    .map((p, i) => ({ name: `${machine}-${i}`, policy: { Version: '2012-10-17', ...hub.resolve(p) } }));
  const out = await runSimulation(
    {
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal: hubRole(machine), resource: { accountId: HUB, resource }, contextVariables: {} },
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(out.errors)}`);
  return out.overallResult;
}

module.exports = {
  decideForMachine,
  HUB, MEMBER, OUTSIDE, REGION, EXTERNAL_ID, ENROLLED, OTHER_ORG_ROLE, MEMBER_ROLE, MANIFEST_WRITER,
  hubRole, rds, hubTemplate, hub, hubResolver, hubFunctionPolicies,
  memberTemplate, member, memberResolver, memberRoleName, memberRoleArn, memberRolePolicies,
  hubPolicies, memberPolicies,
};
