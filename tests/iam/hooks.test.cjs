// The user's hooks (options.hooks): the per-database state machine may invoke only functions and
// state machines tagged rds-bluegreen:hook = true, and start only SSM Automation documents named
// rds-bluegreen-hook-* (template.yaml, StateMachine's policies). Evaluated with a real IAM
// evaluator: moto's Step Functions engine does not enforce IAM, so this is where the policy is
// proved (docs/security.md). Run: node --test tests/iam/
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const { runSimulation } = createRequire(path.join(__dirname, '..', 'tools', 'package.json'))(
  '@cloud-copilot/iam-simulate',
);
const { HUB, REGION, hubRole, hubFunctionPolicies } = require('./templates.cjs');

const HOOK_TAG = 'rds-bluegreen:hook';
const A = 'Allowed';
const D = 'denied';
const fn = (name) => `arn:aws:lambda:${REGION}:${HUB}:function:${name}`;
const sm = (name) => `arn:aws:states:${REGION}:${HUB}:stateMachine:${name}`;
const ssm = (kind, name) => `arn:aws:ssm:${REGION}:${HUB}:${kind}/${name}`;
const tagged = (value) => (value === undefined ? {} : { [`aws:ResourceTag/${HOOK_TAG}`]: value });

// [what, action, resource, hook tag (undefined = none), expected]
const ROWS = [
  ['a tagged Lambda hook', 'lambda:InvokeFunction', fn('rds-bluegreen-analyze'), 'true', A],
  ['a tagged Lambda hook, by version', 'lambda:InvokeFunction', `${fn('analyze')}:3`, 'true', A],
  ['a Lambda function without the tag', 'lambda:InvokeFunction', fn('payments-api'), undefined, D],
  ['a Lambda function tagged false', 'lambda:InvokeFunction', fn('payments-api'), 'false', D],
  ['a tagged function of another account', 'lambda:InvokeFunction', `arn:aws:lambda:${REGION}:999999999999:function:analyze`, 'true', D],
  ['a tagged state machine hook', 'states:StartExecution', sm('smoke-test'), 'true', A],
  ['a state machine without the tag', 'states:StartExecution', sm('billing'), undefined, D],
  ['the release-lock machine (untagged)', 'states:StartExecution', sm('hub-release-lock'), undefined, D],
  ['an automation hook by its name prefix', 'ssm:StartAutomationExecution', ssm('automation-definition', 'rds-bluegreen-hook-cdc:$DEFAULT'), undefined, A],
  ['an automation document of another name', 'ssm:StartAutomationExecution', ssm('automation-definition', 'AWS-RestartEC2Instance:$DEFAULT'), undefined, D],
  ['a prefixed automation document carrying the tag', 'ssm:StartAutomationExecution', ssm('document', 'rds-bluegreen-hook-cdc'), 'true', A],
  ['a prefixed automation document without the tag', 'ssm:StartAutomationExecution', ssm('document', 'rds-bluegreen-hook-cdc'), undefined, D],
  ['a tagged document of another name', 'ssm:StartAutomationExecution', ssm('document', 'AWS-DeleteSnapshot'), 'true', D],
  ['reading its automation executions', 'ssm:GetAutomationExecution', ssm('automation-execution', '0123-abcd'), undefined, A],
  ['stopping its automation executions', 'ssm:StopAutomationExecution', ssm('automation-execution', '0123-abcd'), undefined, A],
  ['writing SSM parameters', 'ssm:PutParameter', `arn:aws:ssm:${REGION}:${HUB}:parameter/x`, undefined, D],
];

for (const [what, action, resource, tag, expected] of ROWS) {
  test(`hooks: the state machine ${action} on ${what} is ${expected}`, async () => {
    const out = await runSimulation(
      {
        identityPolicies: hubFunctionPolicies('StateMachine'),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action,
          principal: hubRole('StateMachine'),
          resource: { accountId: resource.split(':')[4], resource },
          contextVariables: tagged(tag),
        },
      },
      {},
    );
    if (out.resultType === 'error') throw new Error(`${action} on ${resource}: ${JSON.stringify(out.errors)}`);
    if (expected === A) assert.equal(out.overallResult, A);
    else assert.notEqual(out.overallResult, A);
  });
}
