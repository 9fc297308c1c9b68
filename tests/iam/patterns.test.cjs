// No policy of either template keeps a partial RDS name pattern where AWS says one cannot apply.
//
// AWS's "Authorizing access to ... blue/green deployment operations" pages (RDS and Aurora user
// guides) say RDS provisions and modifies green's resources on the caller's behalf under
// internal names, so policies "can't contain partial resource name patterns": only "*", scoped
// by tags. A database, cluster or endpoint name in a resource is therefore "*", or an exact
// pattern of a resource the product itself identified: old blue after the switchover renamed
// it (`*-old` and one or two characters) or a green member it reboots (`*-green-` and six).
// A substring (`*-old*`, `*-green-*`) matches `billing-old-archive` or `team-green-prod`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { hubPolicies, memberPolicies } = require('./templates.cjs');

const EXACT = [/^\*$/, /^\*-old\?{1,2}$/, /^\*-green-\?{6}$/];
// The calls RDS makes on the caller's behalf (the two pages): their databases must be "*".
const ON_BEHALF = new Set([
  'rds:CreateDBCluster', 'rds:CreateDBInstance', 'rds:CreateDBClusterEndpoint', 'rds:CreateDBInstanceReadReplica',
  'rds:ModifyDBCluster', 'rds:ModifyDBInstance', 'rds:PromoteReadReplica', 'rds:PromoteReadReplicaDBCluster',
  'rds:DeleteDBClusterEndpoint',
]);

const all = () => [...hubPolicies(), ...memberPolicies()];
const statements = (policy) => [].concat(policy.Statement || []);
const databaseName = (arn) => {
  const m = /^arn:[^:]+:rds:[^:]*:[^:]*:(cluster|db|cluster-endpoint):(.*)$/.exec(arn);
  return m ? m[2] : undefined;
};

test('both templates are scanned', () => {
  const names = all().map(([name]) => name);
  for (const expected of ['template.yaml/DeleteOldFunction/0', 'member-account.yaml/DeleteRole/delete', 'member-account.yaml/CreateRole/create', 'member-account.yaml/SwitchoverRole/switchover']) {
    assert.ok(names.includes(expected), `${expected} not among ${names.join(', ')}`);
  }
});

test('no policy keeps a partial RDS database, cluster or endpoint name pattern', () => {
  const found = [];
  for (const [name, policy] of all()) {
    for (const s of statements(policy)) {
      for (const arn of [].concat(s.Resource || [], s.NotResource || [])) {
        const db = databaseName(arn);
        if (db !== undefined && !EXACT.some((re) => re.test(db))) found.push(`${name} ${s.Sid}: ${arn}`);
      }
    }
  }
  assert.deepEqual(found, []);
});

test('the scan refuses the substring patterns the templates used to have', () => {
  for (const bad of ['*-old*', '*-green-*', 'orders-*', '*old*']) {
    assert.ok(!EXACT.some((re) => re.test(bad)), bad);
  }
});

test('the calls RDS makes on the caller\'s behalf are granted on "*" only (tags, never names, scope them)', () => {
  const found = [];
  for (const [name, policy] of all()) {
    for (const s of statements(policy)) {
      if (s.Effect !== 'Allow') continue;
      const actions = [].concat(s.Action || []).filter((a) => ON_BEHALF.has(a));
      if (!actions.length) continue;
      const resources = [].concat(s.Resource || []);
      const databases = resources.filter((r) => r === '*' || databaseName(r) !== undefined);
      if (databases.some((r) => r !== '*')) found.push(`${name} ${s.Sid}: ${actions.join(',')} on ${databases.join(',')}`);
    }
  }
  assert.deepEqual(found, []);
});
