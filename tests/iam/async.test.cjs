// Every function or state machine that EventBridge or Scheduler starts asynchronously has an
// on-failure destination or a dead-letter queue, encrypted with KMS, whose depth alarms the
// notifications topic (template.yaml, "asynchronous failures"). Read from the template itself.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { hubTemplate } = require('./templates.cjs');

const R = hubTemplate.Resources;
const getAtt = (v) => v && v['Fn::GetAtt'] && v['Fn::GetAtt'].join('.');
const DLQ = 'AsyncFailureQueue.Arn';

// Asynchronous starts: AWS::Events::Rule targets, and SAM events of type EventBridgeRule or
// ScheduleV2 on functions and state machines.
function asyncStarts() {
  const out = [];
  for (const [id, res] of Object.entries(R)) {
    if (res.Type === 'AWS::Events::Rule') {
      for (const t of res.Properties.Targets || []) out.push([`${id} target ${t.Id}`, t.DeadLetterConfig]);
    }
    for (const [name, ev] of Object.entries((res.Properties && res.Properties.Events) || {})) {
      if (['EventBridgeRule', 'ScheduleV2', 'Schedule', 'CloudWatchEvent'].includes(ev.Type)) {
        out.push([`${id} event ${name}`, ev.Properties.DeadLetterConfig, id]);
      }
    }
  }
  return out;
}

for (const [what, dlq, owner] of asyncStarts()) {
  // The release-lock machine's rule belongs to the lock work (issue 17 item 3), which gives
  // its target the same queue; until it lands here this row is reported as to do.
  const todo = owner === 'ReleaseLockStateMachine' && !dlq ? 'the lock work adds its dead-letter queue' : undefined;
  test(`${what} has a dead-letter queue`, { todo }, () => {
    assert.ok(dlq, `${what} has no DeadLetterConfig`);
    assert.equal(getAtt(dlq.Arn), DLQ);
  });
}

test('notify, invoked asynchronously by the execution-status rule, has an on-failure destination', () => {
  const config = R.NotifyFunction.Properties.EventInvokeConfig;
  assert.ok(config, 'no EventInvokeConfig');
  assert.equal(config.DestinationConfig.OnFailure.Type, 'SQS');
  assert.equal(getAtt(config.DestinationConfig.OnFailure.Destination), DLQ);
});

test('the dead-letter queue is encrypted with the stack key and its depth alarms the topic', () => {
  const queue = R.AsyncFailureQueue.Properties;
  assert.deepEqual(queue.KmsMasterKeyId, { Ref: 'TopicKey' });
  const alarms = Object.values(R).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'AWS/SQS'
    && (r.Properties.Dimensions || []).some((d) => getAtt(d.Value) === 'AsyncFailureQueue.QueueName'));
  assert.equal(alarms.length, 1);
  const alarm = alarms[0].Properties;
  assert.equal(alarm.MetricName, 'ApproximateNumberOfMessagesVisible');
  assert.equal(alarm.Threshold, 1);
  assert.equal(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
  assert.deepEqual(alarm.AlarmActions, [{ Ref: 'Topic' }]);
});

test('only the status rules (notify, the lock release and its reaper) and the RDS event rule may send to the queue as EventBridge, and only over TLS', () => {
  const statements = R.AsyncFailureQueuePolicy.Properties.PolicyDocument.Statement;
  const events = statements.find((s) => s.Principal && s.Principal.Service === 'events.amazonaws.com');
  assert.deepEqual([].concat(events.Condition.ArnEquals['aws:SourceArn']).map(getAtt), [
    'ExecutionEndedRule.Arn',
    'ReleaseLockStateMachineBlueGreenExecutionEnded.Arn',
    'ReleaseLockStateMachineReaper.Arn',
    'WakeStateMachineRdsEvents.Arn',
  ]);
  assert.ok(statements.some((s) => s.Effect === 'Deny' && s.Condition.Bool['aws:SecureTransport'] === 'false'));
});
